#!/usr/bin/env bash
# Boot replay bench (issue 5), end to end:
#  1. build a bootable Debian 12 raw disk (boot-build-disk.sh, cached in bench/work/)
#  2. boot it under TCG to the login prompt, tracing virtio_blk_handle_read (boot-trace.sh, cached)
#  3. make plain / zlib / zstd qcow2 images (qemu-img) and profile-guided zlib / zstd images
#     (qimg, --keep-plain-trace boot.trace), plus qimg's default-policy zlib for the size target
#  4. replay the traced reads with qemu-io -r against each image, RUNS times; report medians
# Output: bench/work/boot-results.md (also printed). Needs: root, debootstrap, sgdisk, qemu-system-x86,
# qemu-img/qemu-io, java, and qimg built (mvn -q -DskipTests package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=${WORK:-$here/work}
runs=${RUNS:-5}
jar=$root/cli/target/qimg.jar
"$here/boot-build-disk.sh"
"$here/boot-trace.sh"
cd "$work"
[[ -f $jar ]] || { echo "build qimg first: (cd $root && mvn -q -DskipTests package)"; exit 1; }
qimg() { java -jar "$jar" "$@"; }

[[ -s plain.qcow2 ]] || qemu-img convert -O qcow2 debian.raw plain.qcow2
[[ -s zlib.qcow2 ]] || qemu-img convert -c -O qcow2 debian.raw zlib.qcow2
[[ -s zstd.qcow2 ]] || qemu-img convert -c -O qcow2 -o compression_type=zstd debian.raw zstd.qcow2
rm -f qimg-zlib.qcow2 pgo-zlib.qcow2 pgo-zstd.qcow2
qimg convert -c -O qcow2 debian.raw qimg-zlib.qcow2
qimg convert -c -O qcow2 --keep-plain-trace boot.trace debian.raw pgo-zlib.qcow2
qimg convert -c -O qcow2 -o compression_type=zstd --keep-plain-trace boot.trace debian.raw pgo-zstd.qcow2
for img in qimg-zlib pgo-zlib pgo-zstd; do
  qemu-img check -q "$img.qcow2"
  qemu-img compare -q debian.raw "$img.qcow2"
done

# qemu-io commands: one 'read OFF LEN' per traced read
python3 - boot.trace > replay.cmds <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.search(r'virtio_blk_handle_read .* sector (\d+) nsectors (\d+)', line)
    if m and int(m.group(2)) > 0:
        print(f"read {int(m.group(1)) * 512} {int(m.group(2)) * 512}")
PY
reads=$(wc -l < replay.cmds)

replay() {  # prints seconds for one replay of the trace against $1
  local s e
  s=$(date +%s.%N)
  qemu-io -r -f qcow2 "$1" < replay.cmds > /dev/null
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A t size
for img in plain zlib zstd qimg-zlib pgo-zlib pgo-zstd; do
  replay "$img.qcow2" > /dev/null   # warm the page cache
  t[$img]=$(for i in $(seq "$runs"); do replay "$img.qcow2"; done | median)
  size[$img]=$(stat -c %s "$img.qcow2")
done
{
  echo "Boot trace: $reads virtio-blk reads ($(awk '{s+=$3} END {printf "%.1f MiB", s/1048576}' replay.cmds)) captured"
  echo "booting Debian 12 (linux 6.1, TCG) to login:; replayed with qemu-io -r, $runs runs, median."
  echo
  echo "| image | made by | file size | vs zlib | replay (s) | vs plain |"
  echo "|---|---|---:|---:|---:|---:|"
  for img in plain zlib zstd qimg-zlib pgo-zlib pgo-zstd; do
    case $img in
      plain) by="qemu-img convert -O qcow2";; zlib) by="qemu-img convert -c";;
      zstd) by="qemu-img convert -c -o compression_type=zstd";; qimg-zlib) by="qimg convert -c (default policy)";;
      pgo-zlib) by="qimg -c --keep-plain-trace (zlib)";; pgo-zstd) by="qimg -c --keep-plain-trace (zstd)";;
    esac
    printf '| %s | %s | %.1f MiB | %.3f | %.3f | %.2f× |\n' "$img" "$by" \
      "$(echo "${size[$img]} / 1048576" | bc -l)" "$(echo "${size[$img]} / ${size[qimg-zlib]}" | bc -l)" \
      "${t[$img]}" "$(echo "${t[$img]} / ${t[plain]}" | bc -l)"
  done
  echo
  printf 'Targets: pgo-zlib size ≤ 1.10 × qimg-zlib: %.3f; pgo-zlib replay ≤ 1.3 × plain: %.2f\n' \
    "$(echo "${size[pgo-zlib]} / ${size[qimg-zlib]}" | bc -l)" "$(echo "${t[pgo-zlib]} / ${t[plain]}" | bc -l)"
} | tee boot-results.md
