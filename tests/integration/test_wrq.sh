#!/usr/bin/env bash
# Uploads (WRQ). With --create, tftp-hpa `put` and `atftp -p` (plain and
# blksize 1468) store files that match by sha256. Without --create an upload
# of a new name is refused with TFTP error 1 ("File not found", as in.tftpd)
# and no file appears (the rest of in.tftpd's -c/-p/-U rules:
# test_wrq_hpa_semantics.sh).
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp atftp
[ "$XT_TARGET" = hpa ] && xt_require_cmd in.tftpd || xt_require_daemon
xt_rig_create
src="$XT_TMP/src"
mkdir -p "$src"
chmod 0755 "$src"
# tftpd-hpa drops to user tftp; let it write.
chmod 0777 "$XT_ROOT"
SIZES=(0 1 511 512 513 1468 1469 1048576 4194304)
for s in "${SIZES[@]}"; do
	xt_make_file "$src/u$s" "$s"
done

put() {  # put CLIENT LOCAL REMOTE: upload from the client namespace
	local client=$1 local=$2 remote=$3
	local -a cmd
	case $client in
	hpa) cmd=(tftp -m binary "$XT_SRV4" -c put "$local" "$remote") ;;
	atftp) cmd=(atftp -p -l "$local" -r "$remote" "$XT_SRV4") ;;
	atftp-1468) cmd=(atftp --option "blksize 1468" -p -l "$local" -r "$remote" "$XT_SRV4") ;;
	esac
	ip netns exec "$XT_NS_CLI" timeout --kill-after=5 "$XT_CLIENT_TIMEOUT" "${cmd[@]}" \
		>"$XT_TMP/client.log" 2>&1
}

# ---- refused without --create ----
if [ "$XT_TARGET" = hpa ]; then xt_hpa_start "$XT_ROOT" 69; else xt_daemon_start -s --no-bpf; fi
put hpa "$src/u513" new-hpa || true
grep -q 'Error code 1' "$XT_TMP/client.log" ||
	xt_fail "tftp-hpa put without --create: no 'Error code 1' in: $(cat "$XT_TMP/client.log")"
rc=0; put atftp "$src/u513" new-atftp || rc=$?
[ "$rc" -ne 0 ] || xt_fail "atftp -p without --create: exit 0"
[ -e "$XT_ROOT/new-hpa" ] && xt_fail "tftp-hpa put without --create created new-hpa"
[ -e "$XT_ROOT/new-atftp" ] && xt_fail "atftp -p without --create created new-atftp"
leftover=$(find "$XT_ROOT" -mindepth 1 -newer "$src/u$((SIZES[-1]))" | head -n 3)
[ -z "$leftover" ] || xt_fail "refused uploads left files behind: $leftover"
echo "without --create: uploads refused, no file appeared"
xt_server_stop

# ---- accepted with --create ----
if [ "$XT_TARGET" = hpa ]; then xt_hpa_start "$XT_ROOT" 69 -c; else xt_daemon_start -s --no-bpf -c; fi
n=0
for c in hpa atftp atftp-1468; do
	for s in "${SIZES[@]}"; do
		rc=0; put "$c" "$src/u$s" "up-$c-$s" || rc=$?
		[ "$rc" -eq 0 ] || xt_fail "$c put u$s: exit $rc: $(tail -n 3 "$XT_TMP/client.log")"
		[ "$c" = hpa ] && xt_client_said_error && xt_fail "$c put u$s: $(cat "$XT_TMP/client.log")"
		# The client is done when it saw the last ACK; the server may still
		# be renaming the file into place.
		xt_wait_until 10 "up-$c-$s in the root" test -f "$XT_ROOT/up-$c-$s"
		xt_check_file "$XT_ROOT/up-$c-$s" "$src/u$s" "$c put u$s"
		n=$((n + 1))
	done
done
# Overwriting an existing world-writable file replaces it (tftpd-hpa
# semantics; without -p a file that is not world-writable is refused).
cp "$src/u513" "$XT_ROOT/existing"
chmod 0666 "$XT_ROOT/existing"
put hpa "$src/u1469" existing || xt_fail "tftp-hpa overwrite: exit $?"
xt_wait_until 10 "existing replaced" cmp -s "$XT_ROOT/existing" "$src/u1469"
n=$((n + 1))
echo "uploaded files have mode $(stat -c %a "$XT_ROOT/up-hpa-513")"
# Uploads cannot escape the root either: error 2, nothing written outside.
outside="$XT_TMP/outside"
mkdir -p "$outside"
chmod 0777 "$outside"
ln -s "$outside" "$XT_ROOT/out-link"
for name in ../escaped out-link/escaped ../outside/escaped; do
	put hpa "$src/u513" "$name" || true
	[ "$XT_TARGET" = hpa ] || grep -q 'Error code 2' "$XT_TMP/client.log" ||
		xt_fail "tftp-hpa put '$name': no 'Error code 2' in: $(cat "$XT_TMP/client.log")"
done
[ -z "$(ls -A "$outside")" ] || xt_fail "an upload escaped the root: $(ls -A "$outside")"
[ ! -e "$XT_TMP/escaped" ] || xt_fail "an upload escaped the root: $XT_TMP/escaped"
echo "uploads to ../ and through a symlink out of the root refused"
if [ "$XT_TARGET" != hpa ]; then
	xt_wait_idle
	done=$(xt_stat transfers_done) || xt_fail "no transfers_done counter"
	[ "$done" -ge "$n" ] || xt_fail "transfers_done $done < $n uploads"
	# No temp files left behind by completed uploads.
	tmp=$(find "$XT_ROOT" -name '.xtftp-*' | head -n 3)
	[ -z "$tmp" ] || xt_fail "temp files left in the root: $tmp"
fi
xt_server_stop
echo "$n uploads verified by sha256"
