#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-transfer checks on `xtftpctl transfers --json` (JSON lines on stdin).

  xfer_check.py [--kernel] [--lockstep] [--min N] [--file-re RE] < records

--kernel    every finished octet read the kernel tiers can take by design
            had at least one DATA block sent by XDP or TC. Userspace sends
            the OACK or DATA 1 and hands the session over (engine.c:
            rrq_try_kernel), so the kernel may send nothing only when there
            was no OACK and the file is one block (DATA 1 is the last), or
            the mode is netascii (userspace only). A test that asks for
            what the kernel tiers do not serve (a blksize whose frame
            exceeds the MTU, a window above XT_KERN_MAX_WINDOW) leaves
            those transfers out with --file-re.
--lockstep  every ended transfer (any outcome) with windowsize 1 resent no
            more than it had timeouts plus resends on duplicate ACKs, and
            resent on duplicates no more than it saw them: a duplicate ACK
            triggers at most the one block after it (README "Loss
            recovery"), so in lock-step every other resend is the timer's.
--min N     at least N ended transfers (any outcome) were checked (the
            daemon keeps the last 256).
--file-re   only records whose requested name matches RE (re.search).
--dup-acks N  every checked transfer counted exactly N duplicate ACKs.

Prints one line per violation and a summary; exits 1 on any violation.
"""
import json
import re
import sys


def main(argv):
    kernel = lockstep = False
    want_min = 0
    want_dup = None
    file_re = None
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--kernel":
            kernel = True
        elif a == "--lockstep":
            lockstep = True
        elif a == "--min" and i + 1 < len(argv):
            i += 1
            want_min = int(argv[i])
        elif a == "--dup-acks" and i + 1 < len(argv):
            i += 1
            want_dup = int(argv[i])
        elif a == "--file-re" and i + 1 < len(argv):
            i += 1
            file_re = re.compile(argv[i])
        else:
            print(f"xfer_check: bad argument {a!r}", file=sys.stderr)
            return 2
        i += 1

    bad = []
    n = eligible = user_only = lock = 0
    for lineno, line in enumerate(sys.stdin, 1):
        line = line.strip()
        if not line:
            continue
        try:
            t = json.loads(line)
        except ValueError as e:
            bad.append(f"line {lineno}: not JSON ({e})")
            continue
        if file_re and not file_re.search(t.get("file", "")):
            continue
        desc = (f"transfer {t['id']} {t['op']} {t['file']!r} from {t['client']}:{t['port']} "
                f"options {t['options']!r} final_block {t['final_block']} outcome {t['outcome']}")
        # lock-step holds for every ended transfer, also one that timed out
        if lockstep and t["outcome"] != "running" and t["windowsize"] <= 1:
            lock += 1
            dup_resends = t.get("dup_resends", 0)
            if t["retransmits"] > t["timeouts"] + dup_resends:
                bad.append(f"{desc}: {t['retransmits']} retransmits > {t['timeouts']} timeouts "
                           f"+ {dup_resends} duplicate-ACK resends in lock-step "
                           f"({t['dup_acks']} duplicate ACKs): a resend neither the timer "
                           f"nor rule 2 caused")
            if dup_resends > t["dup_acks"]:
                bad.append(f"{desc}: {dup_resends} duplicate-ACK resends > {t['dup_acks']} "
                           f"duplicate ACKs")
        if t.get("outcome") == "running":
            continue
        n += 1
        if t.get("outcome") != "done":
            continue        # failed, refused, aborted: no kernel rule for these
        kblocks = t["blocks_xdp"] + t["blocks_tc"]
        if kernel and t["op"] == "rrq":
            if t["mode"] == "octet" and (t["options"] != "" or t["final_block"] > 1):
                eligible += 1
                if kblocks == 0:
                    bad.append(f"{desc}: no DATA block from the kernel tiers "
                               f"(tier {t['tier']}, blocks_user {t['blocks_user']})")
            else:
                user_only += 1
        if want_dup is not None and t["dup_acks"] != want_dup:
            bad.append(f"{desc}: {t['dup_acks']} duplicate ACKs counted, want {want_dup}")
    if n < want_min:
        bad.append(f"only {n} ended transfers in the records, want >= {want_min}")
    for b in bad:
        print(f"FAIL: {b}")
    parts = [f"{n} ended transfers checked one by one"]
    if kernel:
        parts.append(f"{eligible} with kernel blocks as the design requires, "
                     f"{user_only} userspace-only by design (no OACK and one block, or netascii)")
    if lockstep:
        parts.append(f"{lock} ended lock-step transfers checked for retransmits <= timeouts + dup_resends")
    if want_dup is not None:
        parts.append(f"{want_dup} duplicate ACKs counted in each")
    print("per transfer: " + "; ".join(parts))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
