#!/usr/bin/env bash
# make install: what lands where, the systemd unit is valid, /etc/default/xtftpd
# reads like /etc/default/tftpd-hpa, the start wrapper builds the command line
# the way /etc/init.d/tftpd-hpa does, and the daemon started through it with
# only the unit's capabilities serves a file (sha256) with its BPF tier on.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

XT_BUILD=${XT_BUILD:-$(dirname "$XTFTPD")}
for page in xtftpd.8 xtftpctl.8; do
	[ -f "$XT_TOP/$page" ] || xt_fail "$page missing at the top of the repo (make install needs it)"
done
xt_require_daemon
command -v make >/dev/null || xt_skip "needs make"
# every check runs: a missing tool skips the test, with the reason (on CI a
# skip fails, tests/skip-allowlist), instead of a check quietly left out
xt_require_cmd groff systemd-analyze

# ---- 1. a distribution layout under DESTDIR ---------------------------------------
dest="$XT_TMP/dest"
make -s -C "$XT_TOP" BUILD="$XT_BUILD" DESTDIR="$dest" PREFIX=/usr install >"$XT_TMP/install.log" 2>&1 ||
	{ cat "$XT_TMP/install.log"; xt_fail "make install DESTDIR=$dest PREFIX=/usr failed"; }

check_installed() { # PATH MODE
	[ -f "$dest$1" ] || xt_fail "make install did not install $1"
	[ "$(stat -c %a "$dest$1")" = "$2" ] || xt_fail "$1 has mode $(stat -c %a "$dest$1"), want $2"
}
check_installed /usr/sbin/xtftpd 755
check_installed /usr/bin/xtftpctl 755
check_installed /usr/share/man/man8/xtftpd.8 644
check_installed /usr/share/man/man8/xtftpctl.8 644
check_installed /usr/lib/xtftpd/xtftpd-start 755
check_installed /usr/lib/systemd/system/xtftpd.service 644
check_installed /etc/default/xtftpd 644
cmp -s "$dest/usr/sbin/xtftpd" "$XTFTPD" || xt_fail "installed xtftpd differs from $XTFTPD"
cmp -s "$dest/usr/bin/xtftpctl" "$XTFTPCTL" || xt_fail "installed xtftpctl differs from $XTFTPCTL"
"$dest/usr/sbin/xtftpd" --version >/dev/null 2>&1 || xt_fail "installed xtftpd --version does not exit 0"

# make deps installs tftpd-hpa (a bench baseline) and prometheus (promtool)
# and leaves them disabled at boot: after a reboot port 69 is xtftpd's.
for svc in tftpd-hpa prometheus; do
	if ls /etc/rc[2-5].d/S*"$svc" >/dev/null 2>&1 ||
	   [ -e "/etc/systemd/system/multi-user.target.wants/$svc.service" ]; then
		xt_fail "$svc is enabled at boot after make deps: it would take port 69 / start unasked"
	fi
done

unit="$dest/usr/lib/systemd/system/xtftpd.service"
grep -q '@[A-Z]*@' "$unit" "$dest/usr/lib/xtftpd/xtftpd-start" &&
	xt_fail "placeholders left in the installed unit or wrapper: $(grep -h '@[A-Z]*@' "$unit" "$dest/usr/lib/xtftpd/xtftpd-start")"
grep -qx 'ExecStart=/usr/lib/xtftpd/xtftpd-start' "$unit" || xt_fail "unit ExecStart does not point at /usr/lib/xtftpd/xtftpd-start"
# A legacy clsact filter (kernels before 6.6) is removed after every stop,
# also of a killed daemon that had dropped its privileges.
grep -qx 'ExecStopPost=+/usr/bin/xtftpctl detach' "$unit" || xt_fail "unit has no ExecStopPost=+/usr/bin/xtftpctl detach"
# Every documented mode runs under the unit: --mac-sessions needs AF_PACKET
# and CAP_NET_RAW; event logs and published images need a place that is not
# the unit's private /tmp.
grep -qE '^RestrictAddressFamilies=.*AF_PACKET' "$unit" || xt_fail "unit forbids AF_PACKET: --mac-sessions cannot start"
grep -qE '^CapabilityBoundingSet=.*CAP_NET_RAW' "$unit" || xt_fail "unit lacks CAP_NET_RAW: --mac-sessions cannot start"
grep -qx 'StateDirectory=xtftpd' "$unit" || xt_fail "unit has no StateDirectory for event logs and loaded images"
grep -qx 'EnvironmentFile=-/etc/default/xtftpd' "$unit" || xt_fail "unit does not read /etc/default/xtftpd"
grep -q '^DAEMON=${XTFTPD:-/usr/sbin/xtftpd}$' "$dest/usr/lib/xtftpd/xtftpd-start" ||
	xt_fail "wrapper does not start /usr/sbin/xtftpd"

# Man pages render without groff warnings.
{
	for page in xtftpd.8 xtftpctl.8; do
		warn=$(groff -man -Tutf8 -ww -z "$dest/usr/share/man/man8/$page" 2>&1) ||
			xt_fail "groff cannot render $page"
		[ -z "$warn" ] || xt_fail "groff warnings in $page: $warn"
	done
}

# The default file has tftpd-hpa's variables with tftpd-hpa's values.
vars='printf "%s|%s|%s|%s\n" "$TFTP_USERNAME" "$TFTP_DIRECTORY" "$TFTP_ADDRESS" "$TFTP_OPTIONS"'
ours=$(env -i sh -c ". '$dest/etc/default/xtftpd'; $vars")
[ "$ours" = "tftp|/srv/tftp|:69|--secure" ] || xt_fail "/etc/default/xtftpd sets $ours"
if [ -r /etc/default/tftpd-hpa ]; then
	theirs=$(env -i sh -c ". /etc/default/tftpd-hpa; $vars")
	# Only compare when the host file is still Debian's default.
	[ "$theirs" = "tftp|/srv/tftp|:69|--secure" ] && [ "$ours" != "$theirs" ] &&
		xt_fail "/etc/default/xtftpd ($ours) differs from /etc/default/tftpd-hpa ($theirs)"
fi

# A second install keeps an edited /etc/default/xtftpd (it is configuration).
echo 'TFTP_OPTIONS="--secure --create"' >> "$dest/etc/default/xtftpd"
make -s -C "$XT_TOP" BUILD="$XT_BUILD" DESTDIR="$dest" PREFIX=/usr install >"$XT_TMP/install.log" 2>&1 ||
	{ cat "$XT_TMP/install.log"; xt_fail "second make install failed"; }
grep -q -- '--create' "$dest/etc/default/xtftpd" || xt_fail "make install overwrote an edited /etc/default/xtftpd"

# ---- 2. systemd-analyze verify on a layout whose paths exist ----------------------
# verify checks that ExecStart= exists, so install with the temp dir as PREFIX.
pfx="$XT_TMP/prefix"
make -s -C "$XT_TOP" BUILD="$XT_BUILD" PREFIX="$pfx" SYSCONFDIR="$pfx/etc" install >"$XT_TMP/install.log" 2>&1 ||
	{ cat "$XT_TMP/install.log"; xt_fail "make install PREFIX=$pfx failed"; }
{
	rc=0
	out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$pfx/lib/systemd/system/xtftpd.service" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] && [ -z "$out" ] || xt_fail "systemd-analyze verify (exit $rc): $out"
	echo "systemd-analyze verify: unit accepted"
}

# ---- 3. the wrapper builds in.tftpd's command line from the defaults file ---------
stub="$XT_TMP/stub-xtftpd"
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' > "$stub"
chmod 0755 "$stub"
wrapper="$pfx/lib/xtftpd/xtftpd-start"
defaults="$XT_TMP/defaults"
mkdir -p "$XT_TMP/dir one" "$XT_TMP/srv"
run_wrapper() { env -i PATH="$PATH" XTFTPD="$stub" XTFTPD_DEFAULTS="$defaults" sh "$wrapper"; }

cat > "$defaults" <<EOF
TFTP_USERNAME="nobody"
TFTP_DIRECTORY="$XT_TMP/srv"
TFTP_ADDRESS="198.18.0.1:6969"
TFTP_OPTIONS="--secure --map-file /etc/xtftpd.map -vv"
EOF
got=$(run_wrapper | tr '\n' ' ')
want="-L --listen --user nobody --address 198.18.0.1:6969 --secure --map-file /etc/xtftpd.map -vv $XT_TMP/srv "
[ "$got" = "$want" ] || xt_fail "wrapper ran: '$got', want: '$want'"

# Shell syntax, like the init script: variables may use other variables.
cat > "$defaults" <<EOF
BASE="$XT_TMP"
TFTP_USERNAME=""
TFTP_DIRECTORY="\$BASE/srv"
TFTP_ADDRESS=""
TFTP_OPTIONS=""
EOF
got=$(run_wrapper | tr '\n' ' ')
[ "$got" = "-L --listen $XT_TMP/srv " ] || xt_fail "wrapper with empty user/address ran: '$got'"

wrapper_refuses() { # DESC EXPECTED-MESSAGE-PART
	local rc=0 msg
	msg=$(run_wrapper 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || xt_fail "wrapper accepted $1"
	echo "$msg" | grep -q -- "$2" || xt_fail "wrapper refused $1 without saying '$2': $msg"
}
printf 'TFTP_DIRECTORY="%s/srv %s/srv"\n' "$XT_TMP" "$XT_TMP" > "$defaults"
wrapper_refuses "two directories" "exactly one directory"
printf 'TFTP_DIRECTORY="%s/missing"\n' "$XT_TMP" > "$defaults"
wrapper_refuses "a missing directory" "missing, aborting"
printf 'TFTP_DIRECTORY="%s/srv"\nTFTP_USERNAME="no-such-user-%s"\n' "$XT_TMP" "$$" > "$defaults"
wrapper_refuses "an unknown user" "does not exist"
echo "wrapper: command lines and refusals as /etc/init.d/tftpd-hpa"

# ---- 4. the daemon through the wrapper with only the unit's capabilities -----------
[ "$(id -u)" -eq 0 ] || xt_skip "install layout, unit and wrapper verified; the daemon run with the unit's capabilities needs root"
command -v setpriv >/dev/null || xt_skip "needs setpriv (util-linux) for the capability run"
xt_require_root
xt_require_cmd tftp sha256sum capsh
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$caps" ] || xt_fail "unit has no CapabilityBoundingSet="
# setpriv syntax: -all,+net_bind_service,+bpf,...
setpriv_caps="-all$(for c in $caps; do printf ',+%s' "$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"; done)"

xt_rig_create
xt_make_file "$XT_ROOT/image.bin" 1048576
chmod 0755 "$XT_TMP"
cat > "$defaults" <<EOF
TFTP_USERNAME="tftp"
TFTP_DIRECTORY="$XT_ROOT"
TFTP_ADDRESS="$XT_SRV4:69"
TFTP_OPTIONS="--secure -i $XT_IF_SRV --mac-sessions --control $XT_CTL_SOCK"
EOF
getent passwd tftp >/dev/null || sed -i 's/^TFTP_USERNAME=.*/TFTP_USERNAME=""/' "$defaults"
: > "$XT_DAEMON_LOG"
# As the unit does: root, bounding and ambient sets cut to the unit's list;
# with --mac-sessions, which needs AF_PACKET and CAP_NET_RAW.
ip netns exec "$XT_NS_SRV" setpriv --bounding-set "$setpriv_caps" --inh-caps "$setpriv_caps" \
	env XTFTPD="$XTFTPD" XTFTPD_DEFAULTS="$defaults" sh "$wrapper" >>"$XT_DAEMON_LOG" 2>&1 &
XT_DAEMON_PID=$!
xt_wait_until 20 "xtftpd started by the wrapper to answer on $XT_CTL_SOCK" \
	sh -c "kill -0 $XT_DAEMON_PID && '$XTFTPCTL' -S '$XT_CTL_SOCK' status"
# The daemon (ip netns exec, setpriv, env and sh all exec) has the unit's
# bounding set, no more.
bnd=$(awk '$1 == "CapBnd:" { print $2 }' "/proc/$XT_DAEMON_PID/status")
got_caps=$(capsh --decode="$bnd" | sed 's/.*=//' | tr ',' '\n' | sort | tr '\n' ' ')
want_caps=$(for c in $caps; do echo "${c,,}"; done | sort | tr '\n' ' ')
[ "$got_caps" = "$want_caps" ] || xt_fail "daemon bounding set is '$got_caps', want '$want_caps'"
XT_CLIENT_LOG="$XT_TMP/client.log" xt_get hpa image.bin "$XT_OUT/image.bin" ||
	xt_fail "tftp get through the wrapper-started daemon failed: $(tail -n 3 "$XT_TMP/client.log")"
xt_client_said_error && xt_fail "client reported: $(tail -n 3 "$XT_TMP/client.log")"
xt_check_file "$XT_OUT/image.bin" "$XT_ROOT/image.bin" "1 MiB through the installed wrapper"
bpf=$(xt_stat bpf_active) || xt_fail "xtftpctl stats has no bpf_active"
[ "$bpf" = 1 ] || xt_fail "with the unit's capabilities the kernel tier did not attach (bpf_active=$bpf): $caps is not enough"
# Nothing the daemon tried was refused for want of a capability.
if grep -iE 'not permitted|permission denied|cannot hand' "$XT_DAEMON_LOG"; then
	xt_fail "the daemon could not do everything with only: $caps (log lines above)"
fi
xt_daemon_stop
echo "install layout, unit (systemd-analyze verify), wrapper, and a 1 MiB transfer with only: $caps"
