#!/usr/bin/env bash
# Times `qimg amend` against `qemu-img amend` on the realistic image (lib.sh: ext4 built from /usr/share +
# /usr/bin in a 4 GiB raw file, ~1.1 GiB allocated over ~17k clusters; its qcow2 made by qemu-img), for the
# amends that rewrite metadata over the whole image: refcount width changes (every refcount block rewritten)
# and the downgrade to compat=0.10 (every L2 table walked), with 64 KiB and 4 KiB clusters. Amend changes the image in place, so each run
# gets a fresh copy of the source (copied untimed, written back so the copy is not in flight).
# Runs alternate (qemu-img, qimg, qemu-img, ...); prints medians of wall, CPU (user+sys), peak RSS and ratios.
# Usage: bench/amend.sh [RUNS (default 5)]
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-5}
raw=$(realistic_image)
qcow="$bench_work/src-plain.qcow2"
[ -f "$qcow" ] || qemu-img convert -O qcow2 "$raw" "$qcow"
# the same image with many zero clusters too (every 16th cluster of the first 3 GiB), which a downgrade expands
zq="$bench_work/src-zeros.qcow2"
if [ ! -f "$zq" ]; then
  cp "$qcow" "$zq.tmp"
  cmds=()
  for ((off = 0; off < 3 * 1024 * 1024 * 1024; off += 16 * 65536)); do cmds+=(-c "write -z $((off + 15 * 65536)) 64k"); done
  qemu-io "${cmds[@]}" "$zq.tmp" >/dev/null
  mv "$zq.tmp" "$zq"
fi
# the same content in 4 KiB clusters: 16x the tables (~270k clusters, ~2k L2 tables, ~130 refcount blocks)
q4k="$bench_work/src-4k.qcow2"
[ -f "$q4k" ] || { qemu-img convert -O qcow2 -o cluster_size=4096 "$raw" "$q4k.tmp" && mv "$q4k.tmp" "$q4k"; }
"$qimg" --version >/dev/null   # first run after a build makes the CDS archive; not timed
reset_times
echo "load before: $(load_now)" >&2
work="$bench_work/amend.qcow2"

fresh() { cp "$1" "$work"; sync; }

bench() {   # name source options
  local name=$1 src=$2 opts=$3
  for ((i = 0; i < runs; i++)); do
    fresh "$src"; timed "q.$name" qemu-img amend -o "$opts" "$work"
    fresh "$src"; timed "m.$name" "$qimg" amend -o "$opts" "$work"
  done
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" \
    "$(stat_of "q.$name" 1)" "$(stat_of "m.$name" 1)" "$(ratio "$(stat_of "m.$name" 1)" "$(stat_of "q.$name" 1)")" \
    "$(stat_of "q.$name" 2)" "$(stat_of "m.$name" 2)" "$(ratio "$(stat_of "m.$name" 2)" "$(stat_of "q.$name" 2)")" \
    "$(( $(stat_of "q.$name" 3) / 1024 ))" "$(( $(stat_of "m.$name" 3) / 1024 ))"
}

echo "| amend -o | qemu-img wall s | qimg wall s | ratio | qemu-img CPU s | qimg CPU s | CPU ratio | qemu-img RSS MB | qimg RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
bench refcount_bits=64 "$qcow" refcount_bits=64
bench refcount_bits=1 "$qcow" refcount_bits=1
bench compat=0.10 "$qcow" compat=0.10
bench "compat=0.10 (zero clusters)" "$zq" compat=0.10
bench "refcount_bits=64 (4 KiB clusters)" "$q4k" refcount_bits=64
bench "compat=0.10 (4 KiB clusters)" "$q4k" compat=0.10
rm -f "$work"
echo "load after: $(load_now)" >&2
