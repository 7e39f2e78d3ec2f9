#!/usr/bin/env bash
# Times `qimg convert -O raw` against `qemu-img convert -O raw` on the same compressed qcow2 images
# (zlib and zstd), alternating the two tools, and prints medians and the qimg/qemu-img ratio.
# See bench/README.md. Everything it makes goes to bench/work/ (git-ignored).
#
# Environment:
#   RUNS=3             timed runs per tool and image (after one untimed warm-up run each)
#   FORMATS="zlib zstd"
#   SRC_DIR=/usr/share  directory tree copied into the test file system
#   DISK_SIZE=2G        size of the raw ext4 image
#   QIMG=<repo>/qimg    qimg launcher; QEMU_IMG=qemu-img
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
work="$here/work"
RUNS=${RUNS:-3}
FORMATS=${FORMATS:-zlib zstd}
SRC_DIR=${SRC_DIR:-/usr/share}
DISK_SIZE=${DISK_SIZE:-2G}
QIMG=${QIMG:-$repo/qimg}
QEMU_IMG=${QEMU_IMG:-qemu-img}
mkdir -p "$work"

log() { printf '%s\n' "$*" >&2; }

if [ ! -f "$repo/cli/target/qimg.jar" ] && [ "$QIMG" = "$repo/qimg" ]; then
  log "building qimg (mvn -q -B -DskipTests package)"
  (cd "$repo" && mvn -q -B -DskipTests package)
fi

# 1. A realistic disk: an ext4 file system filled from $SRC_DIR, in a sparse raw file.
disk="$work/disk.raw"
if [ ! -f "$disk" ]; then
  if ! command -v mkfs.ext4 >/dev/null 2>&1 && [ ! -x /usr/sbin/mkfs.ext4 ]; then
    log "installing e2fsprogs for mkfs.ext4"
    apt-get install -y -q e2fsprogs >/dev/null
  fi
  mkfs=$(command -v mkfs.ext4 || echo /usr/sbin/mkfs.ext4)
  log "making $disk: $DISK_SIZE ext4 filled from $SRC_DIR"
  rm -f "$disk.tmp"
  truncate -s "$DISK_SIZE" "$disk.tmp"
  "$mkfs" -q -F -t ext4 -L qimgbench -U 5f0a9c2e-1b7d-4c43-9a53-0d6a6b1c0b01 -E root_owner=0:0 \
      -d "$SRC_DIR" "$disk.tmp"
  mv "$disk.tmp" "$disk"
fi

# 2. The compressed images, made by qemu-img itself.
for fmt in $FORMATS; do
  img="$work/disk-$fmt.qcow2"
  if [ ! -f "$img" ]; then
    log "compressing with qemu-img: $img"
    "$QEMU_IMG" convert -f raw -O qcow2 -c -o compression_type="$fmt" "$disk" "$img.tmp"
    mv "$img.tmp" "$img"
  fi
done

data_mib=$(( $(du -k --apparent-size "$disk" | cut -f1) / 1024 ))
used_mib=$(( $(du -k "$disk" | cut -f1) / 1024 ))
log "disk: ${data_mib} MiB virtual, ${used_mib} MiB allocated"

# 3. Timed runs. Bash's `time` reports the child's wall, user and system time.
TIMEFORMAT='%R %U %S'
timed() { # timed OUTFILE cmd... ; appends "wall cpu" to OUTFILE
  local file=$1; shift
  local t
  t=$( { time "$@" >/dev/null 2>"$work/last.err"; } 2>&1 ) || { log "FAILED: $*"; cat "$work/last.err" >&2; exit 1; }
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f %.3f\n", a[1], a[2] + a[3] }' >> "$file"
}
median() { # median of column $2 of file $1
  sort -g -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf '\n%-6s %-9s %10s %10s\n' image tool wall_s cpu_s
results=()
for fmt in $FORMATS; do
  img="$work/disk-$fmt.qcow2"
  out_q="$work/out-qemu.raw"
  out_i="$work/out-qimg.raw"
  : > "$work/t-$fmt-qemu"; : > "$work/t-$fmt-qimg"
  # Warm-up (page cache, JIT-free launcher paths) and a correctness check: same bytes, or no numbers.
  rm -f "$out_q" "$out_i"
  "$QEMU_IMG" convert -O raw "$img" "$out_q"
  "$QIMG" convert -O raw "$img" "$out_i"
  if ! cmp -s "$out_q" "$out_i"; then
    log "qimg's output differs from qemu-img's for $img: not timing a wrong converter"
    cmp "$out_q" "$out_i" | head -1 >&2 || true
    exit 1
  fi
  for ((r = 1; r <= RUNS; r++)); do
    rm -f "$out_q" "$out_i"
    timed "$work/t-$fmt-qemu" "$QEMU_IMG" convert -O raw "$img" "$out_q"
    rm -f "$out_q"
    timed "$work/t-$fmt-qimg" "$QIMG" convert -O raw "$img" "$out_i"
  done
  rm -f "$out_q" "$out_i"
  qw=$(median "$work/t-$fmt-qemu" 1); qc=$(median "$work/t-$fmt-qemu" 2)
  iw=$(median "$work/t-$fmt-qimg" 1); ic=$(median "$work/t-$fmt-qimg" 2)
  printf '%-6s %-9s %10s %10s\n' "$fmt" qemu-img "$qw" "$qc" "$fmt" qimg "$iw" "$ic"
  results+=("$(awk -v f="$fmt" -v iw="$iw" -v qw="$qw" -v ic="$ic" -v qc="$qc" \
      'BEGIN { printf "%-6s qimg/qemu-img: wall %.2f, cpu %.2f", f, iw / qw, ic / qc }')")
done
printf '\n'
printf '%s\n' "${results[@]}"
printf '(medians of %d runs each, alternating; %d cores; image %s MiB virtual, %s MiB allocated)\n' \
  "$RUNS" "$(nproc)" "$data_mib" "$used_mib"
printf '(%s; %s; qimg %s)\n' "$("$QEMU_IMG" --version | head -1)" "$(java -version 2>&1 | head -1)" \
  "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
