#!/usr/bin/env bash
# Times `qimg convert -O qcow2 [-c] SRC - > out.qcow2` (qcow2 streamed to stdout in two passes over SRC, no
# temporary copy) against the same command through the old full temporary copy (-Dqimg.stdout.spill=true) and
# against writing the file directly (`qimg convert -O qcow2 [-c] SRC out.qcow2`), on a 1 GiB raw image with
# ~50% data (the first 512 MiB of the realistic image of lib.sh, then a 512 MiB hole). Alternating runs,
# medians of wall time, CPU time and peak RSS; the three outputs must be md5-identical, and the temporary
# space each used is reported (the spill's temporary file is unnamed in $TMPDIR; df sees it).
# Usage: bench/convert-stdout.sh [RUNS (default 3)] [CASES (default: "-c" "-c -o compression_type=zstd" "")]
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-3}
shift || true
if [ $# -gt 0 ]; then cases=("$@"); else cases=("-c" "-c -o compression_type=zstd" ""); fi
raw=$(realistic_image)
w="$bench_work/stdout"
mkdir -p "$w"
src="$w/half-1G.raw"
if [ ! -f "$src" ]; then
  head -c 512M "$raw" >"$src.tmp" && truncate -s 1G "$src.tmp" && mv "$src.tmp" "$src"
fi
"$qimg" --version >/dev/null
export TMPDIR="$w/tmpdir"
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
reset_times
echo "load before: $(load_now)" >&2
echo "| options | variant | wall s | CPU s | peak RSS MB | wall vs file |"
echo "|---|---|---:|---:|---:|---:|"
for c in "${cases[@]}"; do
  tag=$(echo "x$c" | tr -c 'a-z0-9' '_')
  for i in $(seq "$runs"); do
    rm -f "$w"/out-*.qcow2
    # shellcheck disable=SC2086
    timed "stream$tag" sh -c "'$qimg' convert -O qcow2 $c '$src' - > '$w/out-stream.qcow2'"
    timed "spill$tag" sh -c "QIMG_JAVA_OPTS=-Dqimg.stdout.spill=true '$qimg' convert -O qcow2 $c '$src' - > '$w/out-spill.qcow2'"
    timed "file$tag" sh -c "'$qimg' convert -O qcow2 $c '$src' '$w/out-file.qcow2'"
    a=$(md5sum <"$w/out-stream.qcow2"); b=$(md5sum <"$w/out-spill.qcow2"); f=$(md5sum <"$w/out-file.qcow2")
    if [ "$a" != "$f" ] || [ "$b" != "$f" ]; then echo "bench: outputs differ for '$c'" >&2; exit 1; fi
    if [ -n "$(ls -A "$TMPDIR")" ]; then echo "bench: temporary files left in $TMPDIR" >&2; exit 1; fi
  done
  fw=$(stat_of "file$tag" 1)
  for v in stream spill file; do
    printf '| %s | %s | %s | %s | %d | %s |\n' "${c:-(plain)}" "$v" "$(stat_of "$v$tag" 1)" "$(stat_of "$v$tag" 2)" \
      "$(( $(stat_of "$v$tag" 3 | cut -d. -f1) / 1024 ))" "$(ratio "$(stat_of "$v$tag" 1)" "$fw")"
  done
done
echo "output size: $(stat -c %s "$w/out-file.qcow2") bytes (last case); load after: $(load_now)" >&2
