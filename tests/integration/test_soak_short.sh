#!/usr/bin/env bash
# The soak in make check (issue 18): tests/soak.sh for 5 minutes
# (SOAK_SHORT_SECONDS, default 300), kernel tiers, 2 % of UDP dropped each
# way, the load generator and real clients (curl, tftp-hpa) in a loop, then
# its summary and verdict (see tests/soak.sh).
#
# What this asserts, each of which can fail:
#   - every download is byte-exact: the load generator's sha256 of every
#     transfer, the real clients' files by sha256;
#   - no transfer failed as a client saw it: clients with their default
#     patience (load generator 1 s x 10 tries, tftp-hpa, curl) all finish;
#   - no transfer failed as the daemon saw it, and none was restarted: a
#     lost final ACK is delivered-unconfirmed (reported apart, not a
#     failure), a copy of a request is no restart, a second client on the
#     same host is no restart;
#   - the daemon stays alive, exits 0 on SIGTERM with no sanitizer report
#     (this is the ASan build), and has no session left once its retry
#     budget has passed;
#   - fds end at most 2 above their start, RSS at most 16 MiB above its
#     value at the first sample (ASan's quarantine kept small).
# All of them are judged, as `make soak` does (SOAK_STRICT=1);
# SOAK_SHORT_STRICT=0 reports the daemon's failures and restarts by cause
# without judging them. Strict since the hours at 2 % in both flavours and
# at 5 % passed strictly at 6bf4af4 (README "Under loss"). No timing is
# asserted.
#
# Adds about 5 minutes plus the drain (up to 3) to make check.
set -o nounset -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${XT_BUILD:-$TOP/build/san}
if [ "${XT_TARGET:-xtftpd}" = hpa ]; then
	echo "SKIP: the soak judges xtftpd's events and counters (XT_TARGET=hpa)"
	exit 77
fi
[ -x "$BUILD/tests/xtftp-loadgen" ] || {
	echo "SKIP: no load generator at $BUILD/tests/xtftp-loadgen; build with make tests"
	exit 77
}
SOAK_SECONDS=${SOAK_SHORT_SECONDS:-300} SOAK_SAMPLE=${SOAK_SHORT_SAMPLE:-60} \
SOAK_LOSS=${SOAK_SHORT_LOSS:-2} SOAK_STRICT=${SOAK_SHORT_STRICT:-1} \
SOAK_FLAVOUR=${SOAK_SHORT_FLAVOUR:-kernel} \
	exec bash "$TOP/tests/soak.sh" "$BUILD"
