#!/usr/bin/env bash
# Times qimg convert -O vmdk -o subformat=streamOptimized against qemu-img's on the realistic image (see
# realistic_image in lib.sh; RAW=path uses an existing 4 GiB image instead, read only), alternating runs
# (qemu-img, qimg, qemu-img, ...), and prints medians of wall time, CPU time, peak RSS, output size and the
# qimg/qemu-img wall ratio as a Markdown table. Checks: qimg's output passes qemu-img compare against the
# source and qemu-img check; its size is compared with qemu-img's (the grains are the same zlib streams,
# qimg's file lacks qemu-img's 64 KiB alignment of the first grain and adds an end-of-stream marker).
# Rows: qimg (fsync before rename, the default) and "qimg -t unsafe" (no fsync, qemu-img's cache mode).
# Then times convert -c -O qcow2 of qemu-img's streamOptimized output, qimg against qemu-img.
# Usage: bench/convert-vmdk.sh [RUNS (default 3)]
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-3}
raw=${RAW:-$(realistic_image)}
w=$bench_work
"$qimg" --version >/dev/null   # first run after a build makes the CDS archive; not timed
reset_times
echo "load before: $(load_now)" >&2

rows=()
row() {   # label tool output-file baseline-label
  local wall cpu rss size r=""
  wall=$(stat_of "$1" 1); cpu=$(stat_of "$1" 2); rss=$(stat_of "$1" 3)
  size=$(du -m --apparent-size "$3" | cut -f1)
  [ -n "${4:-}" ] && r=$(ratio "$wall" "$(stat_of "$4" 1)")
  rows+=("| raw → vmdk streamOptimized | $2 | $wall | $cpu | $((rss / 1024)) | $size | ${r:-1.00} |")
}

# one directory per tool: the descriptor names the file, so equal outputs need equal names
o=(-O vmdk -o subformat=streamOptimized)
mkdir -p "$w/q" "$w/m" "$w/n"
for ((i = 0; i < runs; i++)); do
  echo "run $((i + 1)) (load $(load_now))" >&2
  rm -f "$w/q/so.vmdk"; timed q.so qemu-img convert "${o[@]}" "$raw" "$w/q/so.vmdk"
  rm -f "$w/m/so.vmdk"; timed m.so "$qimg" convert "${o[@]}" "$raw" "$w/m/so.vmdk"
  rm -f "$w/n/so.vmdk"; timed n.so "$qimg" convert -t unsafe "${o[@]}" "$raw" "$w/n/so.vmdk"
done
qemu-img compare -q -f raw -F vmdk "$raw" "$w/m/so.vmdk" || { echo "bench: qemu-img compare failed" >&2; exit 1; }
qemu-img check -q "$w/m/so.vmdk" || { echo "bench: qemu-img check failed" >&2; exit 1; }
cmp -s "$w/m/so.vmdk" "$w/n/so.vmdk" || { echo "bench: qimg output differs between runs" >&2; exit 1; }
echo "  qemu-img compare and check OK; qimg outputs identical across runs" >&2
qs=$(stat -c %s "$w/q/so.vmdk"); ms=$(stat -c %s "$w/m/so.vmdk")
echo "  size: qemu-img $qs bytes, qimg $ms bytes, ratio $(ratio "$ms" "$qs")" >&2
row q.so qemu-img "$w/q/so.vmdk"; row m.so qimg "$w/m/so.vmdk" q.so; row n.so "qimg -t unsafe" "$w/n/so.vmdk" q.so

# the other direction: qemu-img's streamOptimized VMDK (every grain deflated) to a compressed qcow2, as a
# VMware import into a KVM cloud does; both tools decompress every grain and compress every cluster
rowc() {   # label tool output-file baseline-label
  local wall cpu rss size r=""
  wall=$(stat_of "$1" 1); cpu=$(stat_of "$1" 2); rss=$(stat_of "$1" 3)
  size=$(du -m --apparent-size "$3" | cut -f1)
  [ -n "${4:-}" ] && r=$(ratio "$wall" "$(stat_of "$4" 1)")
  rows+=("| vmdk streamOptimized → qcow2 -c | $2 | $wall | $cpu | $((rss / 1024)) | $size | ${r:-1.00} |")
}
for ((i = 0; i < runs; i++)); do
  echo "vmdk → qcow2 -c run $((i + 1)) (load $(load_now))" >&2
  rm -f "$w/q/c.qcow2"; timed q.vc qemu-img convert -c -O qcow2 "$w/q/so.vmdk" "$w/q/c.qcow2"
  rm -f "$w/m/c.qcow2"; timed m.vc "$qimg" convert -c -O qcow2 "$w/q/so.vmdk" "$w/m/c.qcow2"
done
qemu-img compare -q "$w/q/so.vmdk" "$w/m/c.qcow2" || { echo "bench: qemu-img compare (vmdk → qcow2) failed" >&2; exit 1; }
cmp -s "$w/q/c.qcow2" "$w/m/c.qcow2" && echo "  vmdk → qcow2 -c: qimg's output is byte-identical to qemu-img's" >&2
rowc q.vc qemu-img "$w/q/c.qcow2"; rowc m.vc qimg "$w/m/c.qcow2" q.vc
echo "load after: $(load_now)" >&2
echo "| case | tool | wall s | CPU s | peak RSS MB | output MiB | wall vs qemu-img |"
echo "|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
rm -f "$w/q/so.vmdk" "$w/n/so.vmdk" "$w/q/c.qcow2" "$w/m/c.qcow2"
