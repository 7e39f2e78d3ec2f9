#!/usr/bin/env bash
# Times `qimg convert -c -O qcow2 disk.raw.EXT out.qcow2` (reading the compressed file directly) against the
# pipeline users run today: `xz -dc disk.raw.xz > tmp.raw && qemu-img convert -c -O qcow2 tmp.raw out.qcow2
# && rm tmp.raw` (gzip -dc, zstd -dc for the other cases), on the realistic 4 GiB image (lib.sh),
# compressed once with `xz -T0`, `gzip`, `zstd -T0`. Alternating runs, medians of wall time, CPU time,
# peak RSS (the pipeline's RSS is its largest step's). qimg's output must be md5-identical to the pipeline's,
# and no temporary file may be left behind by qimg (checked in $TMPDIR, set to an empty directory).
# BENCH_SIZE=1G takes the first 1 GiB of the realistic image instead (a moderate image with mixed data, for
# busy machines: xz -6 compresses the 4 GiB image's 1.1 GiB of data for many minutes on two cores).
# Usage: [BENCH_SIZE=1G] bench/convert-container.sh [RUNS (default 3)] [CASES (default: "xz gz zst")]
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-3}
cases=${2:-"xz gz zst"}
raw=$(realistic_image)
w=$bench_work
if [ -n "${BENCH_SIZE:-}" ]; then
  part="$w/usr-ext4-$BENCH_SIZE.raw"
  [ -f "$part" ] || head -c "$BENCH_SIZE" "$raw" >"$part"
  raw=$part
  w="$bench_work/$BENCH_SIZE"
  mkdir -p "$w"
fi
[ -f "$w/disk.raw.xz" ] || xz -T0 -c "$raw" >"$w/disk.raw.xz"
[ -f "$w/disk.raw.gz" ] || gzip -c "$raw" >"$w/disk.raw.gz"
[ -f "$w/disk.raw.zst" ] || zstd -q -T0 -c "$raw" >"$w/disk.raw.zst"
"$qimg" --version >/dev/null
export TMPDIR="$w/tmpdir"
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
reset_times
echo "load before: $(load_now)" >&2
declare -A dec=([xz]="xz -dc" [gz]="gzip -dc" [zst]="zstd -qdc")
echo "| input | tool | wall s | CPU s | peak RSS MB | wall vs pipeline |"
echo "|---|---|---:|---:|---:|---:|"
for c in $cases; do
  src="$w/disk.raw.$c"
  for i in $(seq "$runs"); do
    rm -f "$w/pipe.qcow2" "$w/qimg.qcow2"
    timed "pipe-$c" sh -c "${dec[$c]} '$src' > '$w/tmp.raw' && qemu-img convert -c -O qcow2 '$w/tmp.raw' '$w/pipe.qcow2' && rm '$w/tmp.raw'"
    timed "qimg-$c" "$qimg" convert -c -O qcow2 "$src" "$w/qimg.qcow2"
  done
  a=$(md5sum <"$w/pipe.qcow2" | cut -d' ' -f1); b=$(md5sum <"$w/qimg.qcow2" | cut -d' ' -f1)
  [ "$a" = "$b" ] || { echo "bench: qimg output of $src differs from the pipeline's ($b vs $a)" >&2; exit 1; }
  [ -z "$(ls -A "$TMPDIR")" ] || { echo "bench: qimg left files in $TMPDIR" >&2; exit 1; }
  echo "  md5 identical ($a), no temporary file" >&2
  for t in pipe qimg; do
    wall=$(stat_of "$t-$c" 1); cpu=$(stat_of "$t-$c" 2); rss=$(stat_of "$t-$c" 3)
    r=$(ratio "$wall" "$(stat_of "pipe-$c" 1)")
    label=$([ $t = pipe ] && echo "${dec[$c]} > tmp.raw && qemu-img convert -c" || echo "**qimg convert -c**")
    echo "| disk.raw.$c ($(du -m "$src" | cut -f1) MiB) | $label | $wall | $cpu | $((rss / 1024)) | $r |"
  done
done
echo "load after: $(load_now)" >&2
