#!/usr/bin/env bash
# make demo: serve a 16 MiB image to a real TFTP client across a veth pair
# between two throwaway network namespaces, verify it by sha256, and show
# what the server saw. Builds nothing (make demo built BUILD_DIR already).
# Usage: tests/demo.sh BUILD_DIR        (root; exits non-zero on any failure)
BUILD_DIR=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR="$TOP/$BUILD_DIR" ;;
esac
XTFTPD="$BUILD_DIR/xtftpd"
XTFTPCTL="$BUILD_DIR/xtftpctl"
export XTFTPD XTFTPCTL
. "$TOP/tests/integration/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (it creates network namespaces); run 'sudo make demo'" >&2
	exit 1
fi
for f in "$XTFTPD" "$XTFTPCTL"; do
	[ -x "$f" ] || { echo "demo: $f missing; run 'make demo' (it builds first)" >&2; exit 1; }
done
for c in atftp ip; do
	command -v "$c" >/dev/null || { echo "demo: $c missing; run 'make deps'" >&2; exit 1; }
done

echo "== rig: namespaces $XT_NS_SRV (server $XT_SRV4 on $XT_IF_SRV)" \
	"and $XT_NS_CLI (client $XT_CLI4), one veth pair"
xt_rig_create
xt_make_file "$XT_ROOT/firmware.bin" 16777216
echo "== image: firmware.bin, 16 MiB, sha256 $(xt_sha256 "$XT_ROOT/firmware.bin")"

echo "== server: $XTFTPD -L -v -s -i $XT_IF_SRV $XT_ROOT"
xt_daemon_start -v -s -i "$XT_IF_SRV"
"$XTFTPCTL" -S "$XT_CTL_SOCK" status | sed 's/^/   /'

echo "== client: atftp --option 'blksize 1468' -g -r firmware.bin $XT_SRV4 (in $XT_NS_CLI)"
t0=$(xt_now)
xt_get atftp-1468 firmware.bin "$XT_OUT/firmware.bin" ||
	xt_fail "atftp failed: $(cat "$XT_TMP/client.log")"
secs=$(xt_elapsed "$t0")
xt_check_file "$XT_OUT/firmware.bin" "$XT_ROOT/firmware.bin" "demo download"
mib_s=$(awk -v s="$secs" 'BEGIN { printf "%.1f", (s > 0) ? 16 / s : 0 }')
echo "   received 16 MiB in ${secs}s ($mib_s MiB/s), sha256 matches"

xt_wait_idle
echo "== server counters (xtftpctl stats)"
"$XTFTPCTL" -S "$XT_CTL_SOCK" stats | awk '$2 != 0 || /^(bpf_active|transfers_|blocks_)/' |
	sed 's/^/   /'
echo "== server log"
xt_daemon_stop
grep -v '^$' "$XT_DAEMON_LOG" | tail -n 15 | sed 's/^/   /'
echo "== demo passed; namespaces and files removed"
