#!/usr/bin/env bash
# Times `qimg rebase` (safe mode: the differences between the old and the new backing file are copied into the
# overlay) against `qemu-img rebase` on a 2 GiB chain built once in bench/work/:
#   rebase-old.qcow2  1.5 GiB of data (a pattern per 2 MiB chunk) in a 2 GiB qcow2;
#   rebase-new.qcow2  the same, with every 4th 2 MiB chunk rewritten with another pattern (512 MiB differ);
#   rebase-top.qcow2  an overlay of rebase-old.qcow2 with 64 MiB of its own data (every 32nd chunk).
# Each run rebases a fresh copy of the overlay (copied untimed) onto rebase-new.qcow2; both tools' results must
# read the same (qemu-img compare) before anything is timed. Runs alternate (qemu-img, qimg, ...); prints medians
# of wall and CPU (user+sys) seconds, peak RSS and the ratio qimg/qemu-img (below 1: qimg is faster).
# Usage: bench/rebase.sh [RUNS (default 5)]   Knobs: EXTRA_TOP_OPTS (e.g. "-o extended_l2=on").
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
runs=${1:-5}
need qemu-io qemu-utils
w=$bench_work
old=$w/rebase-old.qcow2 new=$w/rebase-new.qcow2 top=$w/rebase-top.qcow2
if [ ! -f "$top" ] || [ "${EXTRA_TOP_OPTS:-}" != "$(cat "$w/rebase-top.opts" 2>/dev/null)" ]; then
  cmds=() ncmds=() tcmds=()
  for ((i = 0; i < 768; i++)); do cmds+=(-c "write -P $((i % 250 + 1)) $((i * 2))M 2M"); done
  for ((i = 0; i < 1024; i += 4)); do ncmds+=(-c "write -P 251 $((i * 2))M 2M"); done
  for ((i = 1; i < 1024; i += 32)); do tcmds+=(-c "write -P 252 $((i * 2))M 2M"); done
  rm -f "$old" "$new" "$top"
  qemu-img create -q -f qcow2 "$old" 2G
  qemu-io "${cmds[@]}" "$old" >/dev/null
  qemu-img create -q -f qcow2 "$new" 2G
  qemu-io "${cmds[@]}" "${ncmds[@]}" "$new" >/dev/null
  qemu-img create -q -f qcow2 ${EXTRA_TOP_OPTS:-} -b "$old" -F qcow2 "$top"
  qemu-io "${tcmds[@]}" "$top" >/dev/null
  echo "${EXTRA_TOP_OPTS:-}" > "$w/rebase-top.opts"
fi
"$qimg" --version >/dev/null   # first run after a build makes the CDS archive; not timed
q=$w/rebase-q.qcow2 m=$w/rebase-m.qcow2
cp "$top" "$q"; qemu-img rebase -b "$new" -F qcow2 "$q"
cp "$top" "$m"; "$qimg" rebase -b "$new" -F qcow2 "$m"
qemu-img check -q "$m" || { echo "bench: qimg's overlay fails qemu-img check" >&2; exit 1; }
qemu-img compare -q "$q" "$m" || { echo "bench: qimg's overlay reads differently from qemu-img's" >&2; exit 1; }
reset_times
echo "load before: $(load_now)" >&2
for ((i = 0; i < runs; i++)); do
  cp "$top" "$q"; timed q.rebase qemu-img rebase -b "$new" -F qcow2 "$q"
  cp "$top" "$m"; timed m.rebase "$qimg" rebase -b "$new" -F qcow2 "$m"
done
rm -f "$q" "$m"
echo "| command | qemu-img wall s | qimg wall s | ratio | qemu-img CPU s | qimg CPU s | qemu-img RSS MB | qimg RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '| rebase %s| %s | %s | %s | %s | %s | %s | %s |\n' "${EXTRA_TOP_OPTS:+($EXTRA_TOP_OPTS) }" \
  "$(stat_of q.rebase 1)" "$(stat_of m.rebase 1)" "$(ratio "$(stat_of m.rebase 1)" "$(stat_of q.rebase 1)")" \
  "$(stat_of q.rebase 2)" "$(stat_of m.rebase 2)" \
  "$(( $(stat_of q.rebase 3) / 1024 ))" "$(( $(stat_of m.rebase 3) / 1024 ))"
echo "load after: $(load_now)" >&2
