#!/usr/bin/env python3
"""Run one shell command in the VM tests' guest over its command channel.

The guest's /init (tests/vm/init) reads lines from its second serial port,
which QEMU connects to a unix socket; it runs each line with sh and answers
with the output and a line "@@XTVM-END <status>".

usage: vmctl.py SOCKET TIMEOUT_SECONDS COMMAND
Prints the command's output and exits with its status; 124 on timeout,
125 when the channel cannot be reached.
"""
import socket
import sys
import time

END = b"@@XTVM-END "


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    deadline = time.monotonic() + timeout
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
    except OSError as e:
        print(f"vmctl: cannot reach {path}: {e}", file=sys.stderr)
        return 125
    s.sendall(cmd.encode() + b"\n")
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.stdout.buffer.write(buf)
            print(f"vmctl: no answer to '{cmd}' within {timeout:g}s", file=sys.stderr)
            return 124
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            sys.stdout.buffer.write(buf)
            print("vmctl: the guest closed the channel", file=sys.stderr)
            return 125
        buf += chunk
        i = buf.find(END)
        if i >= 0 and b"\n" in buf[i:]:
            line_end = buf.index(b"\n", i)
            status = int(buf[i + len(END):line_end].strip() or b"1")
            sys.stdout.buffer.write(buf[:i].replace(b"\r\n", b"\n"))
            return status


if __name__ == "__main__":
    sys.exit(main())
