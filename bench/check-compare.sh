#!/usr/bin/env bash
# Times `qimg compare raw qcow2`, `qimg check` and `qimg checksum` against qemu-img on a realistic image:
# an ext4 file system filled from /usr/share in a raw file, converted to qcow2 by qemu-img.
# checksum has no qemu-img counterpart: it is timed against `sha256sum disk.raw`.
# Runs alternate (qemu-img, qimg, qemu-img, ...); prints medians and qimg/qemu-img ratios.
# Usage: bench/check-compare.sh [SIZE_MIB (default 1536)] [RUNS (default 5)]
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
size_mib=${1:-1536}
runs=${2:-5}
qimg="$here/qimg"
work=${BENCH_DIR:-$(mktemp -d /tmp/qimg-bench-cc.XXXXXX)}
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$work"' EXIT

raw="$work/disk.raw"
qcow="$work/disk.qcow2"
if [ ! -f "$raw" ]; then
  truncate -s "${size_mib}M" "$raw"
  mkfs.ext4 -q -F -d /usr/share "$raw" >/dev/null 2>&1
fi
[ -f "$qcow" ] || qemu-img convert -O qcow2 "$raw" "$qcow"
echo "image: $(du -h --apparent-size "$raw" | cut -f1) raw, $(du -h "$raw" | cut -f1) allocated; qcow2 $(du -h "$qcow" | cut -f1)"
"$qimg" --version >/dev/null   # warm the page cache of the jar

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

bench() {   # name, expected exit code, qemu-img command..., --, qimg command...
  local name=$1 want=$2; shift 2
  local q=() m=()
  while [ "$1" != "--" ]; do q+=("$1"); shift; done; shift
  m=("$@")
  local tq=() tm=()
  for ((i = 0; i < runs; i++)); do
    local t0 rc
    t0=$(now); set +e; "${q[@]}" >/dev/null 2>&1; rc=$?; set -e
    [ "$rc" = "$want" ] || { echo "$name: qemu-img exited $rc, expected $want" >&2; exit 1; }
    tq+=("$(echo "$(now) - $t0" | bc)")
    t0=$(now); set +e; "${m[@]}" >/dev/null 2>&1; rc=$?; set -e
    [ "$rc" = "$want" ] || { echo "$name: qimg exited $rc, expected $want" >&2; exit 1; }
    tm+=("$(echo "$(now) - $t0" | bc)")
  done
  local mq mm
  mq=$(printf '%s\n' "${tq[@]}" | median)
  mm=$(printf '%s\n' "${tm[@]}" | median)
  printf '%-28s qemu-img %7.3fs  qimg %7.3fs  ratio qimg/qemu-img %.2f\n' "$name" "$mq" "$mm" "$(echo "$mm / $mq" | bc -l)"
}

bench "compare raw qcow2" 0 qemu-img compare "$raw" "$qcow" -- "$qimg" compare "$raw" "$qcow"
bench "check qcow2" 0 qemu-img check "$qcow" -- "$qimg" check "$qcow"
# no qemu-img equivalent: baseline is sha256sum reading the raw file (every byte, holes included)
bench "checksum qcow2 vs sha256sum raw" 0 sha256sum "$raw" -- "$qimg" checksum "$qcow"
