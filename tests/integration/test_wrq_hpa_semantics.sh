#!/usr/bin/env bash
# Uploads with in.tftpd's rules for -c, -p and -U (tftpd-hpa 5.2,
# tftpd.c validate_access): the same uploads against Debian's in.tftpd and
# against xtftpd, both as user tftp, must end the same way: TFTP error code
# (or success), what the file then holds (absent, old content, new content)
# and its mode. The rules compared:
#  - a new name needs -c (else error 1, "File not found");
#  - an existing file must be writable by the server's user (else error 0
#    with the system's message) and, without -p, world-writable (else
#    error 2), with or without -c;
#  - an overwritten file keeps its mode; a new one is 0666 less the umask,
#    which is -U, else 0 without -p and the process's with -p.
# Deliberate differences (docs/tftpd-hpa.md): the empty file in.tftpd
# leaves when -U refuses a new name (normalised below); outside these
# cases, the owner of an overwritten file when the daemon is not root, a
# partial upload (in.tftpd leaves it, xtftpd never shows it) and a
# directory the daemon's user cannot write to.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd in.tftpd tftp
xt_require_daemon
getent passwd tftp >/dev/null || xt_skip "no user tftp (make deps installs tftpd-hpa, which creates it)"
xt_rig_create
umask 022                        # the process umask both servers inherit
chmod 0777 "$XT_ROOT"           # both write here as user tftp
src="$XT_TMP/src"
mkdir -p "$src"
xt_make_file "$src/old" 700
xt_make_file "$src/up" 1300

# The root's files before each run: NAME MODE OWNER (old content).
FILES=(
	"ww 0666 root"          # world-writable: overwritten without -c too
	"ww-odd 0606 root"      # world-writable, odd mode: kept
	"ro 0644 root"          # not writable by tftp: error 0 even with -p
	"own 0640 tftp"         # tftp's own, not world-writable: -p decides
)
NAMES=(new ww ww-odd ro own sub/new)
# Server flags, as in TFTP_OPTIONS (both get -s; -u tftp).
CONFIGS=("" "-c" "-p" "-c -p" "-c -U 022" "-c -U 0" "-c -p -U 027" "-U 077")

reset_root() {
	find "$XT_ROOT" -mindepth 1 -delete
	local f name mode owner
	for f in "${FILES[@]}"; do
		read -r name mode owner <<<"$f"
		cp "$src/old" "$XT_ROOT/$name"
		chown "$owner" "$XT_ROOT/$name"
		chmod "$mode" "$XT_ROOT/$name"
	done
}

# outcome NAME: "error:N" or "ok", then what the file holds and its mode.
outcome() {
	local name=$1 log="$XT_TMP/client.log" code res f="$XT_ROOT/$1"
	ip netns exec "$XT_NS_CLI" timeout --kill-after=5 30 \
		tftp -m binary "$XT_SRV4" -c put "$src/up" "$name" >"$log" 2>&1 || true
	code=$(sed -n 's/.*Error code \([0-9]*\).*/\1/p' "$log" | head -n 1)
	if [ -n "$code" ]; then
		res="error:$code"
	elif XT_CLIENT_LOG="$log" xt_client_said_error; then
		res="client:$(tr '\n' ' ' < "$log")"
	else
		res=ok
		# The client is done at the last ACK; in.tftpd may still be
		# flushing its buffer.
		xt_wait_until 5 "$name holds the upload" cmp -s "$f" "$src/up" || true
	fi
	res="$res $(xt_file_state "$f" "$src/up" "$src/old")"
	echo "$res"
}

run_side() { # SIDE FLAGS...: one line per name in $XT_TMP/SIDE.out
	local side=$1 n
	shift
	reset_root
	if [ "$side" = hpa ]; then
		xt_hpa_start "$XT_ROOT" 69 -u tftp "$@"
	else
		xt_daemon_start -s --no-bpf -u tftp "$@"
	fi
	for n in "${NAMES[@]}"; do
		printf '%s\t%s\n' "$n" "$(outcome "$n")"
	done > "$XT_TMP/$side.out"
	if [ "$side" = hpa ]; then xt_hpa_stop; else xt_daemon_stop; fi
	tmp=$(find "$XT_ROOT" -name '.xtftp-*' | head -n 3)
	[ -z "$tmp" ] || xt_fail "$side $*: temp files left in the root: $tmp"
}

bad=0
for cfg in "${CONFIGS[@]}"; do
	# shellcheck disable=SC2086 # flags split as the init script does
	run_side hpa $cfg
	# shellcheck disable=SC2086
	run_side xtftpd $cfg
	cat "$XT_TMP/hpa.out" >> "$XT_TMP/hpa-all.out"
	# Listed difference: when -U takes o+w away without -p, in.tftpd
	# refuses a new name with error 2 after creating it, and leaves it
	# empty; xtftpd refuses the same and creates nothing.
	sed -i 's/error:2 other(0) [0-7]*$/error:2 absent/' "$XT_TMP/hpa.out"
	if ! diff -u "$XT_TMP/hpa.out" "$XT_TMP/xtftpd.out" > "$XT_TMP/diff"; then
		echo "flags '${cfg}': in.tftpd (-) and xtftpd (+) differ:"
		tail -n +3 "$XT_TMP/diff"
		bad=1
	else
		echo "flags '${cfg}': $(tr '\t\n' '= ' < "$XT_TMP/hpa.out")"
	fi
done
[ "$bad" = 0 ] || xt_fail "uploads end differently from in.tftpd (see above)"
# The comparison is only worth something if every rule was exercised.
for want in 'error:2 other(0)' 'error:0 old' 'error:1 absent' 'error:2 old' 'ok new 666' 'ok new 644' 'ok new 606' 'ok new 640'; do
	grep -q "$want" "$XT_TMP/hpa-all.out" || xt_fail "no upload ended as '$want': the cases no longer cover it"
done
echo "in.tftpd and xtftpd agree on ${#NAMES[@]} uploads under ${#CONFIGS[@]} flag sets"
