#!/usr/bin/env bash
# Debian's /etc/default/tftpd-hpa, copied to /etc/default/xtftpd: for a few
# realistic TFTP_OPTIONS lines, in.tftpd started the way Debian's init
# script starts it (--listen --user U --address A $TFTP_OPTIONS $DIRS) and
# xtftpd started by packaging/xtftpd-start from the same file must both
# accept the line, or xtftpd's refusal must be a difference listed in
# docs/tftpd-hpa.md; then a download, an upload of a new name and one over
# an existing world-writable file end the same on both (TFTP error code or
# success, content, mode).
# xtftpd runs with --no-bpf and a control socket in the temp dir (a shim in
# front of the daemon adds them): the options are what is tested here.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd in.tftpd tftp
xt_require_daemon
getent passwd tftp >/dev/null || xt_skip "no user tftp (make deps installs tftpd-hpa, which creates it)"
TOP=${XT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
WRAPPER="$TOP/packaging/xtftpd-start"
DOC="$TOP/docs/tftpd-hpa.md"
[ -r "$WRAPPER" ] && [ -r "$DOC" ] || xt_fail "no $WRAPPER or $DOC"
xt_rig_create
umask 022
chmod 0777 "$XT_ROOT"
second="$XT_TMP/second"        # a second directory, for in.tftpd without -s
mkdir -p "$second"
chmod 0755 "$second"
src="$XT_TMP/src"
mkdir -p "$src"
xt_make_file "$src/boot" 100000
xt_make_file "$src/up" 3000
xt_make_file "$src/old" 700
map="$XT_TMP/tftpd.map"
printf 'r\t^pxe$\tboot.bin\n' > "$map"

shim="$XT_TMP/xtftpd-shim"
cat > "$shim" <<EOF
#!/bin/sh
exec "$XTFTPD" --control "$XT_CTL_SOCK" --no-bpf "\$@"
EOF
chmod 0755 "$shim"

# TFTP_OPTIONS | TFTP_DIRECTORY (ROOT = the served root) | what xtftpd does:
# "same", or "refused:ID" for a refusal listed in docs/tftpd-hpa.md.
VARIANTS=(
	'--secure|ROOT|same'                         # Debian's default
	'--secure --create|ROOT|same'
	'-l -s -c -u tftp -U 022|ROOT|same'          # -U without -p: no new names
	'--secure --create --permissive|ROOT|same'
	'--secure --timeout 900 --retransmit 2000000 --blocksize 1468|ROOT|same'
	'-s -v -v -m MAP|ROOT|same'
	'--secure --create --umask 000 --port-range 40000:40100 --verbosity 3|ROOT|same'
	'-c|ROOT|same'                               # no -s: absolute names
	'-c|ROOT SECOND|refused:D5'                  # several directories
)

reset_root() {
	find "$XT_ROOT" -mindepth 1 -delete
	cp "$src/boot" "$XT_ROOT/boot.bin"
	chmod 0644 "$XT_ROOT/boot.bin"
	cp "$src/old" "$XT_ROOT/ww"
	chmod 0666 "$XT_ROOT/ww"
}

defaults_file() { # OPTIONS DIRS: a defaults file as Debian's, for our rig
	local opts=${1//MAP/$map} dirs=${2//ROOT/$XT_ROOT}
	dirs=${dirs//SECOND/$second}
	cat > "$XT_TMP/defaults" <<EOF
# /etc/default/tftpd-hpa
TFTP_USERNAME="tftp"
TFTP_DIRECTORY="$dirs"
TFTP_ADDRESS="$XT_SRV4:69"
TFTP_OPTIONS="$opts"
EOF
}

# One client exchange: GET|PUT NAME -> "error:N" / "ok" + file state.
exchange() {
	local op=$1 name=$2 f=${3:-} log="$XT_TMP/client.log" code res
	rm -f "$XT_OUT/got"
	if [ "$op" = get ]; then
		ip netns exec "$XT_NS_CLI" timeout --kill-after=5 30 \
			tftp -m binary "$XT_SRV4" -c get "$name" "$XT_OUT/got" >"$log" 2>&1 || true
	else
		ip netns exec "$XT_NS_CLI" timeout --kill-after=5 30 \
			tftp -m binary "$XT_SRV4" -c put "$src/up" "$name" >"$log" 2>&1 || true
	fi
	code=$(sed -n 's/.*Error code \([0-9]*\).*/\1/p' "$log" | head -n 1)
	if [ -n "$code" ]; then
		res="error:$code"
	elif XT_CLIENT_LOG="$log" xt_client_said_error; then
		res="client-failed"
	else
		res=ok
		[ "$op" = put ] && { xt_wait_until 5 "$f holds the upload" cmp -s "$f" "$src/up" || true; }
	fi
	if [ "$op" = get ]; then
		cmp -s "$XT_OUT/got" "$src/boot" && res="$res intact" || res="$res not-intact"
	else
		res="$res $(xt_file_state "$f" "$src/up" "$src/old")"
	fi
	echo "$res"
}

exchanges() { # OPTIONS: the three exchanges, one line each
	local p=""
	# without -s/--secure, in.tftpd takes absolute names only
	case " $1 " in *" -s "*|*" --secure "*|*" -l -s "*) ;; *) p="$XT_ROOT/" ;; esac
	local get=${p}boot.bin
	case " $1 " in *" -m "*) get=${p}pxe ;; esac
	echo "get $get: $(exchange get "$get")"
	echo "put new: $(exchange put "${p}new" "$XT_ROOT/new")"
	echo "put ww: $(exchange put "${p}ww" "$XT_ROOT/ww")"
}

# in.tftpd as /etc/init.d/tftpd-hpa runs it (plus -L: foreground, for the pid).
hpa_side() {
	reset_root
	(
		# shellcheck disable=SC1091
		. "$XT_TMP/defaults"
		# shellcheck disable=SC2086 # word splitting, as in the init script
		exec ip netns exec "$XT_NS_SRV" in.tftpd -L --listen --user "$TFTP_USERNAME" \
			--address "$TFTP_ADDRESS" $TFTP_OPTIONS $TFTP_DIRECTORY
	) >>"$XT_TMP/hpa.log" 2>&1 &
	XT_HPA_PID=$!
	xt_on_cleanup "kill -KILL $XT_HPA_PID 2>/dev/null; wait $XT_HPA_PID 2>/dev/null"
	xt_wait_until 5 "in.tftpd listening" \
		sh -c "ip netns exec $XT_NS_SRV ss -Hlun 'sport = :69' | grep -q ."
	exchanges "$1" > "$XT_TMP/hpa.out"
	xt_hpa_stop
	# Listed difference D4: in.tftpd leaves the empty file it refused.
	sed -i 's/error:2 other(0) [0-7]*$/error:2 absent/' "$XT_TMP/hpa.out"
}

# xtftpd through packaging/xtftpd-start. 0 when it served, 1 when it refused.
xt_side() {
	reset_root
	: > "$XT_DAEMON_LOG"
	XTFTPD="$shim" XTFTPD_DEFAULTS="$XT_TMP/defaults" \
		ip netns exec "$XT_NS_SRV" sh "$WRAPPER" >>"$XT_DAEMON_LOG" 2>&1 &
	XT_DAEMON_PID=$!
	local rc
	while :; do
		rc=0
		xt_daemon_ready >/dev/null 2>&1 || rc=$?
		[ "$rc" -eq 0 ] && break
		if [ "$rc" -eq 2 ]; then
			rc=0
			wait "$XT_DAEMON_PID" || rc=$?
			XT_DAEMON_PID=""
			echo "refused (exit $rc): $(tail -n 1 "$XT_DAEMON_LOG")" > "$XT_TMP/xtftpd.out"
			return 1
		fi
		sleep 0.02   # polling the control socket, bounded by the daemon's exit
	done
	exchanges "$1" > "$XT_TMP/xtftpd.out"
	xt_daemon_stop
	return 0
}

bad=0
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r opts dirs want <<<"$v"
	defaults_file "$opts" "$dirs"
	label="TFTP_OPTIONS=\"$opts\" TFTP_DIRECTORY=\"$dirs\""
	hpa_side "$opts"
	if grep -q 'client-failed\|not-intact' "$XT_TMP/hpa.out" && [ "$want" = same ]; then
		cat "$XT_TMP/hpa.out"
		xt_fail "$label: in.tftpd did not serve it (the rig, not xtftpd)"
	fi
	if xt_side "$opts"; then
		if [ "$want" != same ]; then
			echo "$label: xtftpd accepted it; the test expects $want"
			bad=1
		elif ! diff -u "$XT_TMP/hpa.out" "$XT_TMP/xtftpd.out" > "$XT_TMP/diff"; then
			echo "$label: in.tftpd (-) and xtftpd (+) differ:"
			tail -n +3 "$XT_TMP/diff"
			bad=1
		else
			echo "$label: both: $(tr '\n' ';' < "$XT_TMP/hpa.out")"
		fi
	else
		id=${want#refused:}
		if [ "$want" = same ]; then
			echo "$label: xtftpd refused it: $(cat "$XT_TMP/xtftpd.out")"
			bad=1
		elif ! grep -q "^| $id |" "$DOC"; then
			echo "$label: xtftpd refused it, and $id is not in docs/tftpd-hpa.md"
			bad=1
		else
			echo "$label: in.tftpd serves, xtftpd refuses as listed ($id): $(cat "$XT_TMP/xtftpd.out")"
		fi
	fi
done
[ "$bad" = 0 ] || xt_fail "Debian defaults variations: xtftpd differs from in.tftpd (see above)"
echo "${#VARIANTS[@]} /etc/default/tftpd-hpa variations: xtftpd as in.tftpd, or a listed difference"
