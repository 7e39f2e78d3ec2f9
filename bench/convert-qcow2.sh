#!/usr/bin/env bash
# Times qimg convert (raw -> qcow2 plain/zlib/zstd, zlib qcow2 -> plain qcow2, qcow2 -> raw) and
# qimg compare against qemu-img on a realistic image (see realistic_image in lib.sh), alternating runs
# (qemu-img, qimg, qemu-img, ...), and prints medians of wall time, CPU time (user+sys), peak RSS, output
# size, and the qimg/qemu-img wall ratio, as a Markdown table. Outputs are checked: qimg's qcow2 must be
# md5-identical to qemu-img's (plain, zlib, zstd) and every qimg output must pass qemu-img compare
# against the source.
# qimg fsyncs its output before the atomic rename by default (qemu-img convert does not flush: its default
# cache mode is "unsafe"); the rows "qimg -t unsafe" run qimg with qemu-img's cache mode, no fsync.
# Usage: bench/convert-qcow2.sh [RUNS (default 3)] [CASES (default: all of z zW zstd plain z2p z2raw zstd2raw cmp)]
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-3}
cases=${2:-"z zstd plain z2p z2raw zstd2raw cmp"}
raw=$(realistic_image)
w=$bench_work
[ -f "$w/src-zlib.qcow2" ] || qemu-img convert -c -O qcow2 "$raw" "$w/src-zlib.qcow2"
[ -f "$w/src-zstd.qcow2" ] || qemu-img convert -c -O qcow2 -o compression_type=zstd "$raw" "$w/src-zstd.qcow2"
[ -f "$w/src-plain.qcow2" ] || qemu-img convert -O qcow2 "$raw" "$w/src-plain.qcow2"
"$qimg" --version >/dev/null   # first run after a build makes the CDS archive; not timed
reset_times
echo "load before: $(load_now)" >&2

rows=()
row() {   # label tool output-file baseline-label
  local wall cpu rss size r=""
  wall=$(stat_of "$1" 1); cpu=$(stat_of "$1" 2); rss=$(stat_of "$1" 3)
  size=$(du -m --apparent-size "$3" | cut -f1)
  [ -n "${4:-}" ] && r=$(ratio "$wall" "$(stat_of "$4" 1)")
  rows+=("| $case_title | $2 | $wall | $cpu | $((rss / 1024)) | $size | ${r:-1.00} |")
}

verify_same() { # a b: md5-identical
  local a b; a=$(md5sum <"$1" | cut -d' ' -f1); b=$(md5sum <"$2" | cut -d' ' -f1)
  [ "$a" = "$b" ] || { echo "bench: $2 differs from $1 (md5 $b vs $a)" >&2; exit 1; }
  echo "  md5 identical: $(basename "$1") $(basename "$2") ($a)" >&2
}
verify_content() { # src out
  qemu-img compare -q "$1" "$2" || { echo "bench: qemu-img compare $1 $2 failed" >&2; exit 1; }
  echo "  qemu-img compare OK: $(basename "$2")" >&2
}

pair() {  # case src qemu-args -- qimg-args ; outputs $w/q.$case / $w/m.$case / $w/n.$case
  local c=$1; shift
  local qa=() ma=()
  while [ "$1" != "--" ]; do qa+=("$1"); shift; done; shift
  ma=("$@")
  for ((i = 0; i < runs; i++)); do
    rm -f "$w/q.$c"; timed "q.$c" qemu-img convert "${qa[@]}" "$w/q.$c"
    rm -f "$w/m.$c"; timed "m.$c" "$qimg" convert "${ma[@]}" "$w/m.$c"
    if [ "${with_nofsync:-0}" = 1 ]; then
      rm -f "$w/n.$c"; timed "n.$c" "$qimg" convert -t unsafe "${ma[@]}" "$w/n.$c"
    fi
  done
}

for c in $cases; do
  echo "case $c (load $(load_now))" >&2
  case $c in
    z)
      case_title="raw → qcow2 -c (zlib)"
      for ((i = 0; i < runs; i++)); do
        rm -f "$w/q.z"; timed q.z qemu-img convert -c -O qcow2 "$raw" "$w/q.z"
        rm -f "$w/m.z"; timed m.z "$qimg" convert -c -O qcow2 "$raw" "$w/m.z"
        rm -f "$w/qW.z"; timed qW.z qemu-img convert -c -W -O qcow2 "$raw" "$w/qW.z"
      done
      verify_same "$w/q.z" "$w/m.z"; verify_content "$raw" "$w/m.z"
      row q.z "qemu-img -c" "$w/q.z"; row qW.z "qemu-img -c -W" "$w/qW.z" q.z
      row m.z "qimg -c" "$w/m.z" q.z
      rows+=("| | qimg -c / qemu-img -c -W | | | | | $(ratio "$(stat_of m.z 1)" "$(stat_of qW.z 1)") |")
      ;;
    zstd)
      case_title="raw → qcow2 -c zstd"
      pair zstd -c -O qcow2 -o compression_type=zstd "$raw" -- -c -O qcow2 -o compression_type=zstd "$raw"
      verify_same "$w/q.zstd" "$w/m.zstd"; verify_content "$raw" "$w/m.zstd"
      row q.zstd qemu-img "$w/q.zstd"; row m.zstd qimg "$w/m.zstd" q.zstd
      ;;
    plain)
      case_title="raw → qcow2"
      with_nofsync=1 pair plain -O qcow2 "$raw" -- -O qcow2 "$raw"
      verify_same "$w/q.plain" "$w/m.plain"; verify_content "$raw" "$w/m.plain"; verify_same "$w/q.plain" "$w/n.plain"
      row q.plain qemu-img "$w/q.plain"; row m.plain qimg "$w/m.plain" q.plain
      row n.plain "qimg -t unsafe" "$w/n.plain" q.plain
      ;;
    z2p)
      case_title="qcow2 zlib → qcow2"
      with_nofsync=1 pair z2p -O qcow2 "$w/src-zlib.qcow2" -- -O qcow2 "$w/src-zlib.qcow2"
      verify_same "$w/q.z2p" "$w/m.z2p"; verify_content "$raw" "$w/m.z2p"; verify_same "$w/q.z2p" "$w/n.z2p"
      row q.z2p qemu-img "$w/q.z2p"; row m.z2p qimg "$w/m.z2p" q.z2p
      row n.z2p "qimg -t unsafe" "$w/n.z2p" q.z2p
      ;;
    z2raw)
      case_title="qcow2 zlib → raw"
      with_nofsync=1 pair z2raw -O raw "$w/src-zlib.qcow2" -- -O raw "$w/src-zlib.qcow2"
      verify_content "$raw" "$w/m.z2raw"
      row q.z2raw qemu-img "$w/q.z2raw"; row m.z2raw qimg "$w/m.z2raw" q.z2raw; row n.z2raw "qimg -t unsafe" "$w/n.z2raw" q.z2raw
      rm -f "$w/q.z2raw" "$w/m.z2raw" "$w/n.z2raw"
      ;;
    zstd2raw)
      case_title="qcow2 zstd → raw"
      with_nofsync=1 pair zstd2raw -O raw "$w/src-zstd.qcow2" -- -O raw "$w/src-zstd.qcow2"
      verify_content "$raw" "$w/m.zstd2raw"
      row q.zstd2raw qemu-img "$w/q.zstd2raw"; row m.zstd2raw qimg "$w/m.zstd2raw" q.zstd2raw
      row n.zstd2raw "qimg -t unsafe" "$w/n.zstd2raw" q.zstd2raw
      rm -f "$w/q.zstd2raw" "$w/m.zstd2raw" "$w/n.zstd2raw"
      ;;
    cmp)
      case_title="compare raw qcow2"
      for ((i = 0; i < runs; i++)); do
        timed q.cmp qemu-img compare "$raw" "$w/src-plain.qcow2"
        timed m.cmp "$qimg" compare "$raw" "$w/src-plain.qcow2"
      done
      row q.cmp "qemu-img compare" "$w/src-plain.qcow2"; row m.cmp "qimg compare" "$w/src-plain.qcow2" q.cmp
      ;;
    *) echo "bench: unknown case $c" >&2; exit 2 ;;
  esac
done
echo "load after: $(load_now)" >&2
echo "| case | tool | wall s | CPU s | peak RSS MB | output MiB | wall vs qemu-img |"
echo "|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
