#!/usr/bin/env bash
# netascii end to end (issue 16), in both flavours (netascii is served by
# userspace in both: the kernel tiers serve octet only):
#  - a text file full of the hard cases (LF, bare CR, CR LF, NUL, bytes
#    >= 0x80, a CR at the end, CRs and LFs on block boundaries) is fetched
#    raw (hostile_client -m netascii get: the DATA payloads as they were on
#    the wire) and compared byte for byte with its netascii encoding made
#    here, independently of user/netascii.c (RFC 764: LF -> CR LF,
#    CR -> CR NUL), at blksize 512 and 1468;
#  - that encoding uploaded raw (hostile_client -m netascii put) must land
#    on disk as the original file;
#  - tftp-hpa's client in netascii mode: an upload and its download back
#    give the original.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd python3 tftp cmp
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "xtftpd's netascii (XT_TARGET=hpa)"
xt_require_helper hostile_client
xt_rig_create
HC="$XT_HELPERS/hostile_client"

# The text and its wire form, made here (not with the daemon's code).
python3 - "$XT_ROOT/text" "$XT_TMP/text.wire" <<'PY'
import random, sys
rnd = random.Random(16)
out = bytearray()
while len(out) < 6000:
    r = rnd.random()
    if r < 0.08:
        out += b"\n"
    elif r < 0.12:
        out += b"\r"
    elif r < 0.15:
        out += b"\r\n"
    elif r < 0.16:
        out += b"\0"
    elif r < 0.18:
        out.append(rnd.randrange(0x80, 0x100))
    else:
        out.append(rnd.randrange(0x20, 0x7f))
# a CR / LF at the last byte of a 512 and a 1468 block of the wire form is
# likely with this density; make the file end in a bare CR as well
out += b"end\r"
wire = out.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
open(sys.argv[1], "wb").write(out)
open(sys.argv[2], "wb").write(wire)
print(f"text {len(out)} bytes, wire form {len(wire)} bytes")
PY
chmod 0644 "$XT_ROOT/text"
mkdir -p "$XT_ROOT/up"
chmod 0777 "$XT_ROOT/up"

hc() { xt_cli timeout --kill-after=5 60 "$HC" -t 2000 "$@"; }

for flavour in kernel userspace; do
	if [ "$flavour" = kernel ]; then
		xt_daemon_start -s -c -i "$XT_IF_SRV"
	else
		xt_daemon_start -s -c --no-bpf
	fi
	# raw download: the server's encoding, byte for byte
	for blk in 512 1468; do
		opts=()
		[ "$blk" = 512 ] || opts=(-o "blksize=$blk")
		r=$(hc -m netascii "${opts[@]}" "$XT_SRV4" get text "$XT_OUT/raw$blk") ||
			xt_fail "$flavour: netascii get (blksize $blk): exit $?: $r"
		cmp "$XT_OUT/raw$blk" "$XT_TMP/text.wire" ||
			xt_fail "$flavour: netascii on the wire (blksize $blk) differs from the RFC 764 encoding of the file"
		echo "$flavour: raw netascii download at blksize $blk = independent encoding ($r)"
	done
	# raw upload of the wire form: the original on disk
	r=$(hc -m netascii "$XT_SRV4" put "up/raw-$flavour" "$XT_TMP/text.wire") ||
		xt_fail "$flavour: netascii put: exit $?: $r"
	cmp "$XT_ROOT/up/raw-$flavour" "$XT_ROOT/text" ||
		xt_fail "$flavour: a raw netascii upload was not decoded to the original"
	# a real client both ways
	xt_cli timeout 60 tftp -m netascii "$XT_SRV4" -c put "$XT_ROOT/text" "up/hpa-$flavour" \
		>"$XT_TMP/client.log" 2>&1 || xt_fail "$flavour: tftp -m netascii put: $(cat "$XT_TMP/client.log")"
	xt_client_said_error && xt_fail "$flavour: tftp -m netascii put: $(cat "$XT_TMP/client.log")"
	cmp "$XT_ROOT/up/hpa-$flavour" "$XT_ROOT/text" ||
		xt_fail "$flavour: tftp-hpa's netascii upload did not arrive as the original"
	chmod 0644 "$XT_ROOT/up/hpa-$flavour"
	xt_cli timeout 60 tftp -m netascii "$XT_SRV4" -c get "up/hpa-$flavour" "$XT_OUT/back" \
		>"$XT_TMP/client.log" 2>&1 || xt_fail "$flavour: tftp -m netascii get: $(cat "$XT_TMP/client.log")"
	xt_client_said_error && xt_fail "$flavour: tftp -m netascii get: $(cat "$XT_TMP/client.log")"
	cmp "$XT_OUT/back" "$XT_ROOT/text" ||
		xt_fail "$flavour: tftp-hpa netascii round trip (put, get) does not give the original"
	rm -f "$XT_OUT"/*
	echo "$flavour: raw netascii upload decoded to the original; tftp-hpa netascii put + get round trip intact"
	xt_wait_idle
	xt_daemon_stop
done
echo "netascii: wire form equals an independent RFC 764 encoding both ways, in both flavours"
