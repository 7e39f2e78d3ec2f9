#!/usr/bin/env bash
# Regenerates samples/sample.qcow2 with qemu-img/qemu-io (7.2 was used for the committed copy) and
# records the sha256 of its raw content in samples/sample.raw.sha256. See samples/README.md.
#
# Guest layout (64 MiB virtual, 64 KiB clusters, zlib-compressed qcow2 v3):
#   0       .. 512 KiB   readable text lines ("qimg sample ... line N ...")        -> compressed clusters
#   1 MiB   .. +64 KiB   pseudo-random bytes (perl srand 42; incompressible)       -> stored uncompressed
#   2 MiB   .. 2.5 MiB   a repeating 256-byte ramp 00 01 .. ff                     -> compressed clusters
#   2.25 MiB.. 2.375 MiB zeroed afterwards with qemu-io "write -z"                  -> zero clusters
#   16 MiB + 1000, 5000 bytes of 0x5a written afterwards by qemu-io              -> normal data cluster
#   32 MiB  .. +256 KiB  text again                                                -> compressed clusters
#   last 512 bytes       an "END OF QIMG SAMPLE" marker sector                      -> compressed cluster
#   everything else      never written                                             -> unallocated (zeros)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/sample.qcow2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

raw="$tmp/sample.raw"
size=$((64 * 1024 * 1024))
perl -e '
    use strict; use warnings;
    my ($file, $size) = @ARGV;
    open(my $f, "+>", $file) or die "$file: $!";
    binmode $f;
    truncate($f, $size) or die;
    sub put { my ($off, $data) = @_; seek($f, $off, 0) or die; print $f $data or die; }
    sub text {
        my ($off, $len) = @_; my $s = ""; my $n = 0;
        while (length($s) < $len) {
            $s .= sprintf("qimg sample image, text line %06d at guest offset 0x%08x: the quick brown fox jumps over the lazy dog\n",
                          $n++, $off + length($s));
        }
        put($off, substr($s, 0, $len));
    }
    my $MiB = 1024 * 1024;
    text(0, $MiB / 2);
    srand(42);
    put($MiB, pack("C*", map { int(rand(256)) } 1 .. 64 * 1024));
    put(2 * $MiB, pack("C*", map { $_ % 256 } 0 .. $MiB / 2 - 1));
    text(32 * $MiB, $MiB / 4);
    my $end = "END OF QIMG SAMPLE\n" x 26; $end .= "\n" x (512 - length($end));
    put($size - 512, $end);
    close($f) or die;
' "$raw" "$size"

rm -f "$out"
qemu-img convert -q -f raw -O qcow2 -c -o compression_type=zlib,cluster_size=65536 "$raw" "$out"
qemu-io -f qcow2 -c "write -q -z $((2304 * 1024)) $((128 * 1024))" -c "write -q -P 0x5a $((16 * 1024 * 1024 + 1000)) 5000" "$out"
qemu-img check -q "$out"

# The raw content a correct converter must produce, as the oracle computes it.
qemu-img convert -q -O raw "$out" "$tmp/check.raw"
(cd "$tmp" && sha256sum check.raw) | sed 's/check.raw/sample.raw/' > "$here/sample.raw.sha256"
echo "wrote $out ($(stat -c %s "$out") bytes); raw sha256 $(cut -d' ' -f1 "$here/sample.raw.sha256")"
