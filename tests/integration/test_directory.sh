#!/usr/bin/env bash
# Directory serving on the kernel path (issue 7):
# 1. a directory of 50 files (0 B .. 2 MiB, some in subdirectories): every
#    file downloads intact (sha256) and the kernel tiers sent >= 99 % of the
#    DATA blocks; each image was read into the pool on its first request;
# 2. --pool-size 4M with more than that requested: the pool evicts unused
#    images (pool_evictions), files still intact and kernel-served; a file
#    bigger than the pool is served by the userspace engine, intact, counted
#    as pool_full_fallbacks;
# 3. --preload: images are in the pool before the first request, which is
#    then a pool hit, not a load.
set -o errexit -o nounset -o pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

xt_require_root
xt_require_cmd atftp curl sha256sum
xt_require_daemon
xt_rig_create

# ---- the directory -----------------------------------------------------------------
mkdir -p "$XT_ROOT/sub/deeper" "$XT_ROOT/firmware"
chmod 0755 "$XT_ROOT/sub" "$XT_ROOT/sub/deeper" "$XT_ROOT/firmware"
FILES=()
sizes=(0 1 511 512 513 1467 1468 1469 2936 65535 65536 65537 2097152)
for i in $(seq 0 49); do
	if [ "$i" -lt "${#sizes[@]}" ]; then
		size=${sizes[$i]}
	else
		size=$(( (i * 7919 * 263) % 2097152 ))
	fi
	case $(( i % 5 )) in
	0) f="sub/f$i.bin" ;;
	1) f="sub/deeper/f$i.img" ;;
	2) f="firmware/f$i.bin" ;;
	*) f="f$i.dat" ;;
	esac
	xt_make_file "$XT_ROOT/$f" "$size"
	FILES+=("$f")
done
total=$(du -sb "$XT_ROOT" | cut -f1)
echo "${#FILES[@]} files, $total bytes"

# fetch FILE: atftp with blksize 1468 and windowsize 8 (tsize too), as a
# flashing rig would; checked by sha256
fetch() {
	local f=$1 out
	out="$XT_OUT/$(echo "$f" | tr / _)"
	rm -f "$out"
	xt_get atftp "$f" "$out" || xt_fail "$f: atftp exit $?: $(tail -n 2 "$XT_TMP/client.log")"
	xt_check_file "$out" "$XT_ROOT/$f" "$f"
	rm -f "$out"
}

stat_of() { xt_stat "$1" || xt_fail "xtftpctl stats has no $1"; }

# ---- 1. every file, kernel tiers ------------------------------------------------------
xt_server_start kernel --pool-size 32M
# (xt_server_start kernel failed already unless bpf_active is 1)
for f in "${FILES[@]}"; do
	fetch "$f"
done
xt_check_counters kernel "${#FILES[@]}"
loads=$(stat_of pool_loads)
echo "pool: $loads loads, $(stat_of pool_hits) hits, $(stat_of pool_evictions) evictions"
[ "$loads" -ge "${#FILES[@]}" ] ||
	xt_fail "pool_loads $loads < ${#FILES[@]}: not every file went into the pool"
[ "$(stat_of pool_full_fallbacks)" -eq 0 ] || xt_fail "a file fell back to userspace with a 32M pool"
xt_ctl status > "$XT_TMP/status" || xt_fail "xtftpctl status failed"
grep -q '"sub/deeper/f46.img"' "$XT_TMP/status" ||
	xt_fail "status does not list the image of sub/deeper/f46.img (recent) by name"
xt_server_stop

# ---- 2. small pool: eviction, and a file bigger than the pool --------------------------
xt_make_file "$XT_ROOT/big.bin" $((6 * 1024 * 1024))
xt_server_start kernel --pool-size 4M
big_files=()
for f in "${FILES[@]}"; do
	[ "$(stat -c %s "$XT_ROOT/$f")" -ge 1000000 ] && big_files+=("$f")
done
[ "${#big_files[@]}" -ge 8 ] || xt_fail "test set has only ${#big_files[@]} files over 1 MB"
big_files=("${big_files[@]:0:8}")   # 8 x 1-2 MB, twice, through a 4M pool
n=0
for round in 1 2; do
	for f in "${big_files[@]}"; do
		fetch "$f"
		n=$((n + 1))
	done
done
ev=$(stat_of pool_evictions)
echo "4M pool, ${#big_files[@]} files >= 1 MB twice: $(stat_of pool_loads) loads, $ev evictions"
[ "$ev" -gt 0 ] || xt_fail "no pool eviction with a 4M pool and ${#big_files[@]} files >= 1 MB"
xt_check_counters kernel "$n"
user_before=$(stat_of blocks_user)
fetch big.bin
xt_wait_idle
fb=$(stat_of pool_full_fallbacks)
user_after=$(stat_of blocks_user)
echo "big.bin (6 MiB > 4M pool): pool_full_fallbacks $fb, userspace blocks $((user_after - user_before))"
[ "$fb" -ge 1 ] || xt_fail "big.bin did not count as pool_full_fallbacks"
[ $((user_after - user_before)) -ge $((6 * 1024 * 1024 / 1468)) ] ||
	xt_fail "big.bin: the userspace engine sent $((user_after - user_before)) blocks, want all"
grep -q 'image pool full' "$XT_DAEMON_LOG" ||
	xt_fail "the transfer's log line does not say the pool was full"
xt_server_stop

# ---- 3. --preload ---------------------------------------------------------------------
xt_server_start kernel --pool-size 32M --preload 'firmware/*' --preload 'sub/deeper/*.img'
want=0
for f in "${FILES[@]}"; do
	case $f in firmware/*|sub/deeper/*.img) want=$((want + 1)) ;; esac
done
pre=$(stat_of pool_preloaded)
[ "$pre" -eq "$want" ] || xt_fail "pool_preloaded $pre, want $want"
[ "$(stat_of pool_images)" -eq "$want" ] || xt_fail "pool_images $(stat_of pool_images) after preload, want $want"
loads=$(stat_of pool_loads)
fetch firmware/f2.bin
fetch sub/deeper/f1.img
[ "$(stat_of pool_loads)" -eq "$loads" ] || xt_fail "a preloaded file was loaded again on request"
[ "$(stat_of pool_hits)" -ge 2 ] || xt_fail "requests for preloaded files were not pool hits"
xt_check_counters kernel 2
xt_server_stop
echo "directory: ${#FILES[@]} files kernel-served, eviction and pool-full fallback seen, preload hits"
