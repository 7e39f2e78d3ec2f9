# Shared helpers for the bench scripts (source it: . "$(dirname "$0")/lib.sh").
# Timing: /usr/bin/time -f '%e %U %S %M' (wall s, user s, sys s, peak RSS KiB); medians of alternating runs.

bench_root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
bench_work=${BENCH_WORK:-$bench_root/bench/work}
qimg=${QIMG:-$bench_root/qimg}   # QIMG=other/launcher to time another build
mkdir -p "$bench_work"
trap 'rm -f "$bench_work/.time.$$" "$bench_work/.err.$$"' EXIT

need() {   # need CMD [apt-package]
  command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || { echo "bench: $1 is missing (apt-get install -y ${2:-$1})" >&2; exit 1; }
}
need /usr/bin/time time
need qemu-img qemu-utils
need bc

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# The realistic image: an ext4 file system built from a real file tree (/usr/share and /usr/bin, hard-linked
# into a staging directory, ~1.1 GiB of files) in a 4 GiB sparse raw file. Cached in bench/work/.
realistic_image() {
  local raw="$bench_work/usr-ext4.raw"
  if [ ! -f "$raw" ]; then
    need mkfs.ext4 e2fsprogs
    local tree="$bench_work/usr-tree"
    rm -rf "$tree" && mkdir -p "$tree"
    for d in share bin; do
      cp -al "/usr/$d" "$tree/$d" 2>/dev/null || cp -a "/usr/$d" "$tree/$d"
    done
    truncate -s 4G "$raw.tmp"
    mkfs.ext4 -q -F -d "$tree" "$raw.tmp" >/dev/null
    mv "$raw.tmp" "$raw"
    rm -rf "$tree"
  fi
  echo "$raw"
}

# timed LABEL CMD... : runs CMD once (stdout/stderr discarded, exit code must be 0), appends
# "wall cpu rss_kib" to $bench_work/times.LABEL. The page cache keeps the inputs warm; pending writeback of
# earlier outputs is flushed first (untimed) so a run does not pay for its predecessor's dirty pages.
timed() {
  local label=$1; shift
  sync
  local t="$bench_work/.time.$$"
  if ! /usr/bin/time -f '%e %U %S %M' -o "$t" "$@" >/dev/null 2>"$bench_work/.err.$$"; then
    echo "bench: '$label' failed: $*" >&2; cat "$bench_work/.err.$$" >&2; exit 1
  fi
  awk '{printf "%s %.2f %d\n", $1, $2 + $3, $4}' "$t" >>"$bench_work/times.$label"
  rm -f "$t" "$bench_work/.err.$$"
}

reset_times() { rm -f "$bench_work"/times.*; }

# stat LABEL FIELD(1 wall, 2 cpu, 3 rss KiB) -> median
stat_of() { awk -v f="$2" '{print $f}' "$bench_work/times.$1" | median; }

ratio() { if [ "$(echo "$2 == 0" | bc)" = 1 ]; then echo "n/a"; else echo "scale=3; $1 / $2" | bc -l | sed 's/^\./0./'; fi; }

load_now() { cut -d' ' -f1-3 /proc/loadavg; }
