#!/usr/bin/env bash
# Times `qimg commit` against `qemu-img commit` on a realistic chain: a 2 GiB qcow2 base with 1.5 GiB of
# data and an overlay with ~512 MiB of data spread over the whole disk (4096 runs of 64 KiB every 512 KiB,
# 64 runs of 4 MiB, 256 zeroed 64 KiB clusters). Every run commits fresh copies of the chain (copied untimed,
# then flushed). Runs alternate (qemu-img, qimg, ...); prints medians of wall, CPU (user+sys), peak RSS and
# the wall ratio qimg / qemu-img.
# Usage: bench/commit.sh [RUNS (default 5)]
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-5}
need qemu-io qemu-utils
src="$bench_work/commit-src"
if [ ! -f "$src/top.qcow2" ]; then
  rm -rf "$src" && mkdir -p "$src"
  qemu-img create -q -f qcow2 "$src/base.qcow2" 2G
  { for ((i = 0; i < 24; i++)); do echo "write -P $((i + 1)) $((i * 64))M 64M"; done; } \
    | qemu-io "$src/base.qcow2" >/dev/null
  qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$src/top.qcow2"
  { for ((i = 0; i < 4096; i++)); do echo "write -P $((i % 200 + 30)) $((i * 512))k 64k"; done
    for ((i = 0; i < 64; i++)); do echo "write -P 7 $((i * 32 + 3))M 4M"; done
    for ((i = 0; i < 256; i++)); do echo "write -z $((i * 8 + 5))M 64k"; done; } \
    | qemu-io "$src/top.qcow2" >/dev/null
fi
"$qimg" --version >/dev/null   # first run after a build makes the CDS archive; not timed
reset_times
echo "load before: $(load_now)" >&2
run=$bench_work/commit-run
one() {   # label, tool...
  local label=$1; shift
  rm -rf "$run" && mkdir -p "$run" && cp "$src/base.qcow2" "$src/top.qcow2" "$run/"
  timed "$label" "$@" commit "$run/top.qcow2"
}
for ((i = 0; i < runs; i++)); do
  one q.commit qemu-img
  one m.commit "$qimg"
done
rm -rf "$run"
echo "| command | qemu-img wall s | qimg wall s | ratio | qemu-img CPU s | qimg CPU s | qemu-img RSS MB | qimg RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '| commit | %s | %s | %s | %s | %s | %s | %s |\n' \
  "$(stat_of q.commit 1)" "$(stat_of m.commit 1)" "$(ratio "$(stat_of m.commit 1)" "$(stat_of q.commit 1)")" \
  "$(stat_of q.commit 2)" "$(stat_of m.commit 2)" \
  "$(( $(stat_of q.commit 3) / 1024 ))" "$(( $(stat_of m.commit 3) / 1024 ))"
echo "load after: $(load_now)" >&2
