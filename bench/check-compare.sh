#!/usr/bin/env bash
# Times `qimg compare raw qcow2`, `qimg check` and `qimg checksum` against qemu-img on the realistic image
# (lib.sh: ext4 built from /usr/share + /usr/bin in a 4 GiB raw file; its qcow2 made by qemu-img).
# checksum has no qemu-img counterpart: it is timed against `sha256sum disk.raw`.
# Runs alternate (qemu-img, qimg, qemu-img, ...); prints medians of wall, CPU (user+sys), peak RSS and ratios.
# Usage: bench/check-compare.sh [RUNS (default 5)]
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-5}
raw=$(realistic_image)
qcow="$bench_work/src-plain.qcow2"
[ -f "$qcow" ] || qemu-img convert -O qcow2 "$raw" "$qcow"
"$qimg" --version >/dev/null   # first run after a build makes the CDS archive; not timed
reset_times
echo "load before: $(load_now)" >&2

bench() {   # name, qemu-img command..., --, qimg command...
  local name=$1; shift
  local q=() m=()
  while [ "$1" != "--" ]; do q+=("$1"); shift; done; shift
  m=("$@")
  for ((i = 0; i < runs; i++)); do
    timed "q.$name" "${q[@]}"
    timed "m.$name" "${m[@]}"
  done
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" \
    "$(stat_of "q.$name" 1)" "$(stat_of "m.$name" 1)" "$(ratio "$(stat_of "m.$name" 1)" "$(stat_of "q.$name" 1)")" \
    "$(stat_of "q.$name" 2)" "$(stat_of "m.$name" 2)" \
    "$(( $(stat_of "q.$name" 3) / 1024 ))" "$(( $(stat_of "m.$name" 3) / 1024 ))"
}

echo "| command | baseline wall s | qimg wall s | ratio | baseline CPU s | qimg CPU s | baseline RSS MB | qimg RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
bench compare qemu-img compare "$raw" "$qcow" -- "$qimg" compare "$raw" "$qcow"
bench check qemu-img check "$qcow" -- "$qimg" check "$qcow"
# no qemu-img equivalent: baseline is sha256sum reading the raw file (every byte, holes included)
bench checksum sha256sum "$raw" -- "$qimg" checksum "$qcow"
echo "load after: $(load_now)" >&2
