#!/usr/bin/env bash
# make deb (issue 15): the Debian package built from packaging/debian is
# lintian-clean (make deb fails on a lintian error), installs with dpkg -i on
# this machine, its xtftpd --version is the package's version, its unit
# passes systemd-analyze verify, the installed binary serves a download
# (sha256) and /metrics, and dpkg --purge leaves nothing of it behind.
#
# The machine is given back as it was found, also on failure (EXIT trap):
# xtftpd conflicts with tftpd-hpa (both Provide and Conflict tftp-server, as
# Debian's TFTP servers do), which make deps installs as a baseline; so the
# test first gets tftpd-hpa's .deb (apt's cache, else apt-get download) and
# skips if it cannot, then removes tftpd-hpa (dpkg -r: its configuration
# stays), and after the purge reinstalls it from that .deb and disables it
# at boot again if it was. A policy-rc.d that exits 101 is in place while
# packages are installed, so neither daemon starts on the host.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd make dpkg dpkg-deb dpkg-buildpackage dh lintian systemd-analyze tftp curl
[ "$XT_TARGET" = hpa ] && xt_skip "tests xtftpd's package (XT_TARGET=hpa)"

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
pkg_installed xtftpd &&
	xt_skip "xtftpd is installed as a package here: this test would purge it (dpkg --purge xtftpd first)"
others=$(dpkg-query -W -f='${Package} ${Status} ${Provides}\n' 2>/dev/null |
	awk '/install ok installed/ && ($1 == "atftpd" || $1 == "tftpd" || (/tftp-server/ && $1 != "tftpd-hpa")) { print $1 }')
[ -z "$others" ] || xt_skip "installed TFTP server package(s) $others conflict with xtftpd; this test only swaps tftpd-hpa"

# ---- 1. build ---------------------------------------------------------------------
DEBB="$XT_TMP/b"
make -s -C "$XT_TOP" deb BUILD="$DEBB" >"$XT_TMP/deb.log" 2>&1 ||
	{ tail -n 30 "$XT_TMP/deb.log"; xt_fail "make deb failed (lintian errors fail it too)"; }
DEB=$(ls "$DEBB"/deb/xtftpd_*.deb 2>/dev/null | head -n 1)
[ -f "$DEB" ] || xt_fail "make deb made no xtftpd_*.deb in $DEBB/deb"
LINT=$(grep 'LINTIAN' "$XT_TMP/deb.log" | sed 's/^ *//')
echo "make deb: $(basename "$DEB"); $LINT"
VERSION=$(dpkg-deb -f "$DEB" Version)
for f in Provides Conflicts Replaces; do
	dpkg-deb -f "$DEB" "$f" | grep -q 'tftp-server' || xt_fail "package $f: has no tftp-server: $(dpkg-deb -f "$DEB" "$f")"
done

# ---- 2. what to give back ------------------------------------------------------------
HPA_WAS=0 HPA_DEB="" HPA_ENABLED=0
if pkg_installed tftpd-hpa; then
	HPA_WAS=1
	ver=$(dpkg-query -W -f='${Version}' tftpd-hpa)
	arch=$(dpkg-query -W -f='${Architecture}' tftpd-hpa)
	HPA_DEB="/var/cache/apt/archives/tftpd-hpa_${ver//:/%3a}_${arch}.deb"
	if [ ! -f "$HPA_DEB" ]; then
		mkdir -p "$XT_TMP/hpa"
		(cd "$XT_TMP/hpa" && apt-get download -q "tftpd-hpa=$ver" >"$XT_TMP/hpa-download.log" 2>&1) ||
			xt_skip "tftpd-hpa is installed and its .deb cannot be had to reinstall it afterwards (not in apt's cache; apt-get download: $(tail -n 1 "$XT_TMP/hpa-download.log"))"
		HPA_DEB=$(ls "$XT_TMP"/hpa/tftpd-hpa_*.deb)
	fi
	ls /etc/rc[2-5].d/S*tftpd-hpa >/dev/null 2>&1 && HPA_ENABLED=1
fi
SRV_WAS=0
[ -e /srv/tftp ] && SRV_WAS=1
USER_WAS=0
getent passwd tftp >/dev/null && USER_WAS=1
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	xt_on_cleanup "rm -f /usr/sbin/policy-rc.d"
fi

# give_back: purge xtftpd, reinstall tftpd-hpa as it was; idempotent (runs
# from the success path and again from the EXIT trap)
give_back() {
	if [ -n "$XT_DAEMON_PID" ]; then
		kill -KILL "$XT_DAEMON_PID" 2>/dev/null
		wait "$XT_DAEMON_PID" 2>/dev/null
		XT_DAEMON_PID=""
	fi
	if dpkg-query -W -f='${Status}' xtftpd 2>/dev/null | grep -qv 'not-installed'; then
		dpkg --purge xtftpd >>"$XT_TMP/dpkg.log" 2>&1
	fi
	if [ "$HPA_WAS" = 1 ] && ! pkg_installed tftpd-hpa; then
		DEBIAN_FRONTEND=noninteractive dpkg -i "$HPA_DEB" >>"$XT_TMP/dpkg.log" 2>&1
		if [ "$HPA_ENABLED" = 0 ]; then
			update-rc.d tftpd-hpa disable >/dev/null 2>&1
			systemctl disable tftpd-hpa >/dev/null 2>&1
		fi
		# tftpd-hpa's postinst makes /srv/tftp when missing
		[ "$SRV_WAS" = 0 ] && rmdir /srv/tftp 2>/dev/null
	fi
	return 0
}
xt_on_cleanup give_back

# ---- 3. install -------------------------------------------------------------------
if [ "$HPA_WAS" = 1 ]; then
	dpkg -r tftpd-hpa >"$XT_TMP/dpkg.log" 2>&1 || xt_fail "dpkg -r tftpd-hpa: $(tail -n 3 "$XT_TMP/dpkg.log")"
fi
DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" >>"$XT_TMP/dpkg.log" 2>&1 ||
	xt_fail "dpkg -i $(basename "$DEB"): $(tail -n 5 "$XT_TMP/dpkg.log")"
pkg_installed xtftpd || xt_fail "dpkg -i succeeded but xtftpd is not installed"
dpkg -L xtftpd > "$XT_TMP/files"
got=$(/usr/sbin/xtftpd --version 2>&1) || xt_fail "installed xtftpd --version: exit $?"
echo "$got" | grep -qF "$VERSION" || xt_fail "xtftpd --version says '$got', the package is $VERSION"
echo "dpkg -i: $(dpkg-query -W -f='${Package} ${Version} ${Status}' xtftpd); xtftpd --version: $got"
for f in /usr/sbin/xtftpd /usr/bin/xtftpctl /usr/share/man/man8/xtftpd.8.gz /usr/share/man/man8/xtftpctl.8.gz \
	/usr/lib/xtftpd/xtftpd-start /lib/systemd/system/xtftpd.service /etc/default/xtftpd; do
	[ -e "$f" ] || xt_fail "the package did not install $f"
done
dpkg-query -W -f='${Conffiles}\n' xtftpd | grep -q '/etc/default/xtftpd' ||
	xt_fail "/etc/default/xtftpd is not a conffile"
getent passwd tftp >/dev/null || xt_fail "no tftp user after install (TFTP_USERNAME of /etc/default/xtftpd)"
[ -d /srv/tftp ] || xt_fail "no /srv/tftp after install (TFTP_DIRECTORY of /etc/default/xtftpd)"
rc=0
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no /lib/systemd/system/xtftpd.service 2>&1) || rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] || xt_fail "systemd-analyze verify of the installed unit (exit $rc): $out"
echo "systemd-analyze verify /lib/systemd/system/xtftpd.service: accepted"

# ---- 4. the installed binary serves --------------------------------------------------
xt_rig_create
XTFTPD=/usr/sbin/xtftpd XTFTPCTL=/usr/bin/xtftpctl
xt_make_file "$XT_ROOT/image.bin" 2000000
xt_daemon_start -s -i "$XT_IF_SRV" --http 127.0.0.1:8080
xt_get hpa image.bin "$XT_OUT/image.bin" || xt_fail "tftp get from the installed xtftpd: exit $?"
xt_client_said_error && xt_fail "client reported: $(tail -n 3 "$XT_TMP/client.log")"
xt_check_file "$XT_OUT/image.bin" "$XT_ROOT/image.bin" "2 MB from the installed xtftpd"
xt_srv curl -sf --max-time 5 http://127.0.0.1:8080/metrics >"$XT_TMP/metrics" ||
	xt_fail "the installed xtftpd's /metrics does not answer"
grep -q '^xtftpd_transfers_done_total 1$' "$XT_TMP/metrics" ||
	xt_fail "/metrics of the installed xtftpd: $(grep transfers_done "$XT_TMP/metrics")"
xt_daemon_stop
echo "installed /usr/sbin/xtftpd (kernel tiers on $XT_IF_SRV) served 2 MB (sha256 match) and /metrics"

# ---- 5. purge leaves nothing -------------------------------------------------------
dpkg --purge xtftpd >>"$XT_TMP/dpkg.log" 2>&1 || xt_fail "dpkg --purge xtftpd: $(tail -n 5 "$XT_TMP/dpkg.log")"
st=$(dpkg-query -W -f='${Status}' xtftpd 2>/dev/null || true)
[ -z "$st" ] || [ "$st" = "unknown ok not-installed" ] || xt_fail "after dpkg --purge xtftpd is '$st'"
left=()
while IFS= read -r f; do
	# files and file links (on merged /usr, /lib is a link to a directory)
	[ -f "$f" ] || { [ -L "$f" ] && [ ! -d "$f" ]; } || continue
	left+=("$f")
done < "$XT_TMP/files"
for f in /etc/default/xtftpd /var/lib/xtftpd /var/lib/systemd/deb-systemd-helper-enabled/xtftpd.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/xtftpd.service \
	/etc/systemd/system/multi-user.target.wants/xtftpd.service; do
	[ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done
for d in /usr/share/doc/xtftpd /usr/lib/xtftpd; do
	[ -e "$d" ] && left+=("$d")
done
[ "$SRV_WAS" = 0 ] && [ -e /srv/tftp ] && left+=(/srv/tftp)
[ ${#left[@]} -eq 0 ] || xt_fail "dpkg --purge left: ${left[*]}"
note=""
[ "$USER_WAS" = 0 ] && note="; the tftp user it made stays, as Debian leaves system users"
echo "dpkg --purge: no file, conffile, state or unit link of xtftpd left$note"

# ---- 6. the machine as it was --------------------------------------------------------
give_back
if [ "$HPA_WAS" = 1 ]; then
	pkg_installed tftpd-hpa || xt_fail "tftpd-hpa not reinstalled: $(tail -n 5 "$XT_TMP/dpkg.log")"
	[ -x /usr/sbin/in.tftpd ] || xt_fail "tftpd-hpa reinstalled without /usr/sbin/in.tftpd"
	if [ "$HPA_ENABLED" = 0 ] && ls /etc/rc[2-5].d/S*tftpd-hpa >/dev/null 2>&1; then
		xt_fail "tftpd-hpa is enabled at boot after the test; it was not before"
	fi
	echo "tftpd-hpa reinstalled from $(basename "$HPA_DEB") as it was (enabled at boot: $HPA_ENABLED)"
fi
