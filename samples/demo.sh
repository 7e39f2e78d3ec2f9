#!/usr/bin/env bash
# The job qimg exists for, on the bundled sample (README, command 1): take the sample's guest disk as a raw
# image, compress it (convert -c -O qcow2), show what that saved, decompress it back (convert -O raw), and
# verify the round trip: qimg compare, qimg checksum and sha256sum against samples/sample.raw.sha256.
# Ends with one OK line (exit 0), or a FAILED line (exit 1). Run from anywhere, after a build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
qimg=$root/qimg
expected=$(cut -d' ' -f1 "$root/samples/sample.raw.sha256")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
kib() { echo $(( ($1 + 1023) / 1024 )); }

echo "== the input: the sample's 64 MiB guest disk as a raw image"
"$qimg" convert -O raw "$root/samples/sample.qcow2" "$work/disk.raw"
raw_size=$(stat -c %s "$work/disk.raw")
raw_used=$(( $(stat -c %b "$work/disk.raw") * $(stat -c %B "$work/disk.raw") ))
echo "disk.raw: $(kib "$raw_size") KiB virtual, $(kib "$raw_used") KiB allocated on disk"

echo "== compress: qimg convert -p -c -O qcow2 disk.raw disk.qcow2"
"$qimg" convert -p -c -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
qcow_size=$(stat -c %s "$work/disk.qcow2")
echo "disk.qcow2: $(kib "$qcow_size") KiB, $(( 100 - qcow_size * 100 / raw_used ))% smaller than the raw data" \
  "($(kib "$raw_used") KiB), $(( raw_size / qcow_size ))x smaller than the virtual disk"

echo "== decompress: qimg convert -p -O raw disk.qcow2 back.raw"
"$qimg" convert -p -O raw "$work/disk.qcow2" "$work/back.raw"

echo "== verify the round trip"
"$qimg" compare "$work/disk.raw" "$work/back.raw" || fail "back.raw differs from disk.raw"
compressed_sum=$("$qimg" checksum "$work/disk.qcow2" | cut -d' ' -f1)
back_sum=$(sha256sum "$work/back.raw" | cut -d' ' -f1)
[ "$compressed_sum" = "$expected" ] || fail "qimg checksum disk.qcow2 = $compressed_sum, expected $expected"
[ "$back_sum" = "$expected" ] || fail "sha256sum back.raw = $back_sum, expected $expected"
echo "OK: compressed $(kib "$raw_used") KiB of data to $(kib "$qcow_size") KiB and back; sha256 $expected matches samples/sample.raw.sha256"
