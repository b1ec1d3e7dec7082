#!/bin/bash
# xtftpd recover, the TP-Link case: the server namespace has no 192.168.0.66;
# `xtftpd recover --interface VETH FIRMWARE` adds it, the device at
# 192.168.0.86 asks for ArcherC7v2_tp_recovery.bin (tftp-hpa: plain RRQ,
# 512-byte blocks, as the bootloader does), gets FIRMWARE (sha256), the
# daemon exits 0 by itself and the address is gone. Then: SIGINT before any
# request removes the address too (exit 1, the "no request" hint shown);
# --keep serves two downloads and exits 0 on SIGTERM; --no-bpf works alike.
. "$(dirname "$0")/lib.sh"

xt_require_root
xt_require_daemon
xt_require_cmd tftp sha256sum

SRV_IP=192.168.0.66
DEV_IP=192.168.0.86
NAME=ArcherC7v2_tp_recovery.bin
FW="$XT_TMP/fw/archer-c7-v2-squashfs-factory.bin"
LOG="$XT_TMP/recover.log"
REC_PID=""

xt_rig_create
ip -n "$XT_NS_CLI" addr add "$DEV_IP/24" dev "$XT_IF_CLI"
mkdir -p "$XT_TMP/fw"
xt_make_file "$FW" $((8 << 20))
chmod 0600 "$FW"        # the user's own file: recover serves it anyway

has_srv_ip() { ip -n "$XT_NS_SRV" -4 addr show dev "$XT_IF_SRV" | grep -q "inet $SRV_IP/24"; }
log_has() { grep -q -- "$1" "$LOG"; }
rec_alive() { kill -0 "$REC_PID" 2>/dev/null; }
rec_gone() { ! rec_alive; }

# rec_start ARGS...: run recover in the server namespace, wait for "ready:".
rec_start() {
	: > "$LOG"
	ip netns exec "$XT_NS_SRV" "$XTFTPD" recover --interface "$XT_IF_SRV" \
		--control "$XT_CTL_SOCK" "$@" "$FW" >"$LOG" 2>&1 &
	REC_PID=$!
	xt_on_cleanup "kill -KILL $REC_PID"
	local deadline=$(( $(date +%s%N) + 20 * 1000000000 ))
	until log_has '^ready:'; do
		rec_alive || { cat "$LOG"; xt_fail "recover exited before it was ready"; }
		[ "$(date +%s%N)" -gt "$deadline" ] && { cat "$LOG"; xt_fail "recover not ready after 20s"; }
		sleep 0.02
	done
}

# rec_wait_exit WANT_STATUS DESC: bounded wait for recover to end by itself.
rec_wait_exit() {
	local want=$1 desc=$2 st=0
	xt_wait_until 30 "recover to exit ($desc)" rec_gone
	wait "$REC_PID" || st=$?
	REC_PID=""
	sed 's/^/  recover: /' "$LOG"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG"; then
		xt_fail "$desc: sanitizer report in the recover output"
	fi
	[ "$st" -eq "$want" ] || xt_fail "$desc: recover exited $st, want $want"
}

download() {
	local out=$1 rc=0
	xt_get hpa "$NAME" "$out" "$SRV_IP" || rc=$?
	[ "$rc" -eq 0 ] || xt_fail "tftp get $NAME: exit $rc: $(tail -n 3 "$XT_TMP/client.log")"
	xt_client_said_error && xt_fail "tftp get $NAME: $(tail -n 3 "$XT_TMP/client.log")"
	xt_check_file "$out" "$FW" "download of $NAME"
}

# ---- 1: one device, kernel tiers, exits by itself ----------------------------
has_srv_ip && xt_fail "$SRV_IP is already on $XT_IF_SRV before the test"
rec_start
has_srv_ip || xt_fail "recover did not add $SRV_IP/24 to $XT_IF_SRV"
t0=$(xt_now)
download "$XT_OUT/one.bin"
echo "8 MiB at 512-byte blocks in $(xt_elapsed "$t0")s"
rec_wait_exit 0 "one transfer"
has_srv_ip && xt_fail "recover left $SRV_IP on $XT_IF_SRV"
log_has "for \"$NAME\"" || xt_fail "the requested name is not printed"
log_has '^done: ' || xt_fail "no done line"
log_has '^hint: .*flash' || xt_fail "no hint after the done line"
log_has "removed $SRV_IP/24 from $XT_IF_SRV" || xt_fail "no word about removing the address"
# the kernel tiers served it (TC on a veth), unless BPF is unavailable here
if ! log_has 'served by .*TC'; then
	why=$(xt_bpf_unavailable) || xt_fail "recover did not serve through the kernel tiers although this kernel runs BPF: $(grep '^done: ' "$LOG")"
	xt_note "kernel tiers unavailable here ($why): part 1 served from userspace"
fi

# ---- 2: SIGINT before any request: address removed, exit 1, hint shown ------
rec_start --hint-after 1
has_srv_ip || xt_fail "recover did not add $SRV_IP/24 (second run)"
xt_wait_until 10 "the no-request hint" log_has '^no request seen in 1 s: check the cable'
kill -INT "$REC_PID"
rec_wait_exit 1 "SIGINT before a transfer"
has_srv_ip && xt_fail "SIGINT left $SRV_IP on $XT_IF_SRV"

# ---- 3: --keep, userspace engine: two devices in turn, SIGTERM -> 0 ----------
rec_start --keep --no-bpf
download "$XT_OUT/keep1.bin"
xt_wait_until 10 "the first done line" log_has '^done: '
download "$XT_OUT/keep2.bin"
xt_wait_until 10 "two done lines" sh -c "[ \$(grep -c '^done: ' '$LOG') -ge 2 ]"
rec_alive || xt_fail "--keep: recover exited after a transfer"
kill -TERM "$REC_PID"
rec_wait_exit 0 "--keep then SIGTERM"
has_srv_ip && xt_fail "SIGTERM left $SRV_IP on $XT_IF_SRV"

# ---- 4: the address was already there: kept at exit ------------------------
ip -n "$XT_NS_SRV" addr add "$SRV_IP/24" dev "$XT_IF_SRV"
rec_start
download "$XT_OUT/pre.bin"
rec_wait_exit 0 "address already present"
has_srv_ip || xt_fail "recover removed an address it had not added"
echo "recover: address added and removed, name printed, sha256 right, exit 0 by itself"
