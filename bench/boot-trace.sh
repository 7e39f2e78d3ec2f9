#!/usr/bin/env bash
# Boot bench/work/debian.raw under TCG until the serial console prints "login:", recording every
# virtio-blk read with QEMU's trace (log backend). Writes bench/work/boot.trace and boot.console.
# The disk is opened with -snapshot: the guest's writes go to a throw-away overlay.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:-$here/work}
timeout_s=${BOOT_TIMEOUT:-900}
cd "$work"
if [[ -s boot.trace && ${FORCE:-0} != 1 ]]; then echo "cached: $work/boot.trace"; exit 0; fi
rm -f boot.trace boot.trace.part boot.console mon.sock
start=$(date +%s.%N)
qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -display none -no-reboot \
  -kernel vmlinuz -initrd initrd.img -append 'root=/dev/vda1 ro console=ttyS0 quiet modprobe.blacklist=floppy' \
  -drive file=debian.raw,format=raw,if=virtio,snapshot=on \
  -serial file:boot.console -monitor unix:mon.sock,server,nowait \
  -trace enable=virtio_blk_handle_read,file=boot.trace.part &
qpid=$!
trap 'kill $qpid 2>/dev/null || true' EXIT
deadline=$(( $(date +%s) + timeout_s ))
until grep -q 'login:' boot.console 2>/dev/null; do
  if ! kill -0 $qpid 2>/dev/null; then echo "qemu exited before login:"; tail -20 boot.console; exit 1; fi
  if (( $(date +%s) > deadline )); then echo "no login: after ${timeout_s}s"; tail -20 boot.console; exit 1; fi
  sleep 1
done
end=$(date +%s.%N)
python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect("mon.sock"); time.sleep(0.3)
s.sendall(b"quit\n"); time.sleep(0.5); s.close()
PY
wait $qpid || true
trap - EXIT
mv boot.trace.part boot.trace
echo "boot to login: $(echo "$end - $start" | bc) s; $(grep -c virtio_blk_handle_read boot.trace) reads traced"
