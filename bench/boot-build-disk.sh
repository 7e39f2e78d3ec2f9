#!/usr/bin/env bash
# Build a bootable Debian 12 (bookworm) raw GPT disk for the boot-replay bench.
# No loop mounts: debootstrap into a directory, mkfs.ext4 -d it into a partition
# image, then splice that partition into a GPT disk. Output is cached:
#   bench/work/debian.raw      raw disk, partition 1 = ext4 root (label qimgroot)
#   bench/work/vmlinuz, initrd.img   the guest's own /boot kernel and initramfs
# Needs root (debootstrap chroots), debootstrap, sgdisk, mkfs.ext4.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:-$here/work}
mirror=${MIRROR:-http://deb.debian.org/debian}
disk_mib=${DISK_MIB:-2048}
mkdir -p "$work"
if [[ -s $work/debian.raw && -s $work/vmlinuz && -s $work/initrd.img ]]; then
  echo "cached: $work/debian.raw"; exit 0
fi
root=$work/rootfs
if [[ ! -e $root/.debootstrap-done ]]; then
  rm -rf "$root"
  debootstrap --variant=minbase --include=linux-image-amd64,systemd-sysv,udev,initramfs-tools,login \
    bookworm "$root" "$mirror"
  touch "$root/.debootstrap-done"
fi
uuid=$(cat /proc/sys/kernel/random/uuid)
echo "LABEL=qimgroot / ext4 defaults 0 1" > "$root/etc/fstab"
echo qimgboot > "$root/etc/hostname"
# boot-time: make sure virtio + ext4 modules are in the initramfs
printf 'virtio_pci\nvirtio_blk\next4\n' >> "$root/etc/initramfs-tools/modules"
kver=$(ls "$root/lib/modules" | sort -V | tail -1)
chroot "$root" update-initramfs -u -k "$kver"
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
part_mib=$((disk_mib - 2))
rm -f "$work/root.ext4"
mkfs.ext4 -q -L qimgroot -U "$uuid" -d "$root" "$work/root.ext4" "${part_mib}M"
rm -f "$work/debian.raw.tmp"
truncate -s "${disk_mib}M" "$work/debian.raw.tmp"
sgdisk -o -n 1:2048:+${part_mib}M -t 1:8300 -c 1:root "$work/debian.raw.tmp" >/dev/null
sgdisk -p "$work/debian.raw.tmp" | grep -q "^ *1 *2048 " || { echo "sgdisk made no partition"; exit 1; }
dd if="$work/root.ext4" of="$work/debian.raw.tmp" bs=1M seek=1 conv=notrunc,sparse status=none
rm -f "$work/root.ext4"
mv "$work/debian.raw.tmp" "$work/debian.raw"
echo "built $work/debian.raw (kernel $kver)"
