#!/usr/bin/env bash
# Remap rules (-m MAPFILE): Debian's in.tftpd and xtftpd serve the same file
# (by content) or refuse with the same TFTP error for a list of names. The
# expected table below is checked against the real in.tftpd on every run, so
# it cannot drift from tftpd-hpa. Our side runs through the daemon when it
# accepts -m, and always through the names module as the engine calls it
# (test_names --resolve: names_resolve + path_open_read).
# Two documented differences (restart, "..") (user/remap.h) are checked on both sides.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

xt_require_root
xt_require_cmd in.tftpd tftp
XT_BUILD=${XT_BUILD:-$(dirname "$XTFTPD")}
DRIVER="$XT_BUILD/tests/test_names"
[ -x "$DRIVER" ] || xt_skip "no $DRIVER; build the tests (make tests)"
xt_rig_create

cli_hex=$(printf '%02X' ${XT_CLI4//./ })
map="$XT_TMP/remap.rules"
cat > "$map" <<'EOF'
# Rules for the comparison; line 1 is reached again only through a restart.
r	^restart-a$		restart-b
ri	^[a-z]:					# drive letters
rg	\\			/		# backslashes to slashes
r	^/?boot/(.*)\.BIN$	images/\1.bin
rG	^pxe$			pxelinux.0
rP	^pxe$			uploads/pxe
e	^ok/					# always fine (but still confined)
r	^legacy/(.*)$		new/\1
a	\.pvt$
a~	[a-z]					# refuse names without a lowercase letter
r4	^v4only$		v4.bin
r6	^v4only$		v6.bin
r	^ip$			by-ip/\i
r	^hex$			by-hex/\x
a	^etc/
rg	\#			@		# hash marks to at signs
r	^space$			with\ space
rs	^restart-me$		restart-a
r	^lower/(.*)$		\L\1
EOF

# Every file holds its own name, so what a client got says what was served.
for f in images/kernel.bin pxelinux.0 ok/secret.pvt ok/readme new/a.bin v4.bin v6.bin \
	"by-ip/$XT_CLI4" "by-hex/$cli_hex" file.bin a@b restart-a restart-b MIXED.BIN mixed.bin \
	"with space" uploads/pxe; do
	mkdir -p "$XT_ROOT/$(dirname "$f")"
	echo "$f" > "$XT_ROOT/$f"
	chmod 0644 "$XT_ROOT/$f"
done
find "$XT_ROOT" -type d -exec chmod 0755 {} +

# name | what in.tftpd 5.2 does | what xtftpd does (differences documented in remap.h)
CASES=(
	'C:\boot\kernel.BIN|data:images/kernel.bin|='
	'pxe|data:pxelinux.0|='
	'ok/secret.pvt|data:ok/secret.pvt|='
	'ok/readme|data:ok/readme|='
	'images/secret.pvt|error:2|='
	'legacy/a.bin|data:new/a.bin|='
	'123|error:2|='
	'v4only|data:v4.bin|='
	'ip|data:by-ip/'"$XT_CLI4"'|='
	'hex|data:by-hex/'"$cli_hex"'|='
	'etc/passwd|error:2|='
	'images/missing.bin|error:1|='
	'file.bin|data:file.bin|='
	'/file.bin|data:file.bin|='
	'a#b|data:a@b|='
	'space|data:with space|='
	'lower/MIXED.BIN|data:mixed.bin|='
	# in.tftpd -s chroots, so ".." cannot leave the root and it serves the
	# name; xtftpd refuses any ".." component (DESIGN.md).
	'ok/../file.bin|data:file.bin|error:2'
	# s restarts at rule 1 (man page); 5.2 resumes at rule 2.
	'restart-me|data:restart-a|data:restart-b'
)

# fetch NAME: one outcome word, from tftp-hpa's client in the client namespace.
fetch() {
	local name=$1 out="$XT_OUT/got" log="$XT_TMP/client.log"
	rm -f "$out"
	# -l: literal names, so "C:\..." is not read as host "C".
	ip netns exec "$XT_NS_CLI" timeout --kill-after=5 30 \
		tftp -l -m binary "$XT_SRV4" 69 -c get "$name" "$out" >"$log" 2>&1 || true
	local code
	code=$(sed -n 's/.*Error code \([0-9]*\).*/\1/p' "$log" | head -n 1)
	if [ -n "$code" ]; then
		echo "error:$code"
	elif [ -s "$out" ] && ! XT_CLIENT_LOG="$log" xt_client_said_error; then
		echo "data:$(head -n 1 "$out")"
	else
		echo "nothing:$(tr '\n' ' ' < "$log")"
	fi
}

check_side() { # SIDE COLUMN(2=hpa 3=xtftpd) OUTCOMES-FILE
	local side=$1 col=$2 file=$3 c name hpa ours want got bad=0
	for c in "${CASES[@]}"; do
		IFS='|' read -r name hpa ours <<<"$c"
		want=$hpa
		[ "$col" = 3 ] && [ "$ours" != = ] && want=$ours
		# ENVIRON, not -v: awk -v would read "\b" in a name as an escape.
		got=$(N="$name" awk -F'\t' '$1 == ENVIRON["N"] { sub(/^[^\t]*\t/, ""); print; exit }' "$file")
		# Messages differ (5.2 sends none of its own for an 'a' rule): codes count.
		got=${got%%:*}:$(echo "${got#*:}" | cut -d: -f1)
		if [ "$got" != "$want" ]; then
			echo "$side: \"$name\" gave $got, want $want"
			bad=1
		fi
	done
	return "$bad"
}

# ---- tftpd-hpa: proves the table ----------------------------------------------------
xt_hpa_start "$XT_ROOT" 69 -m "$map"
: > "$XT_TMP/hpa.out"
for c in "${CASES[@]}"; do
	name=${c%%|*}
	printf '%s\t%s\n' "$name" "$(fetch "$name")" >> "$XT_TMP/hpa.out"
done
xt_hpa_stop
check_side "in.tftpd -m" 2 "$XT_TMP/hpa.out" || { cat "$XT_TMP/hpa.out"; xt_fail "in.tftpd does not do what the table says"; }
echo "in.tftpd: ${#CASES[@]} names as in the table"

# ---- the names module as the engine calls it ------------------------------------------
names=()
for c in "${CASES[@]}"; do names+=("${c%%|*}"); done
"$DRIVER" --resolve "$XT_ROOT" "$map" "$XT_CLI4" "${names[@]}" > "$XT_TMP/names.out" ||
	xt_fail "test_names --resolve failed"
check_side "names module" 3 "$XT_TMP/names.out" || { cat "$XT_TMP/names.out"; xt_fail "names module differs"; }
echo "names module: ${#CASES[@]} names as in.tftpd, bar the 2 documented differences"

# ---- the daemon with -m ------------------------------------------------------------------
# (no feature detection: a daemon without -m, or one that crashes, fails)
xt_require_daemon
xt_daemon_start -s --no-bpf -m "$map"
: > "$XT_TMP/xtftpd.out"
for c in "${CASES[@]}"; do
	name=${c%%|*}
	printf '%s\t%s\n' "$name" "$(fetch "$name")" >> "$XT_TMP/xtftpd.out"
done
xt_daemon_stop
check_side "xtftpd -m" 3 "$XT_TMP/xtftpd.out" || { cat "$XT_TMP/xtftpd.out"; xt_fail "xtftpd -m differs"; }
echo "in.tftpd and xtftpd -m agree on ${#CASES[@]} names (2 documented differences)"
