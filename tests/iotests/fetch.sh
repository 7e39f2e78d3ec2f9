#!/bin/bash
# Unpack QEMU 7.2's sources (Debian's source package) into $QIMG_IOTESTS_CACHE, once.
# Fetches nothing but Debian packages: adds a deb-src entry for the configured Debian
# mirror when none exists, then runs `apt-get source qemu`. Builds nothing.
# Prints the path of the unpacked tree's tests/qemu-iotests on success.
set -euo pipefail
CACHE=${QIMG_IOTESTS_CACHE:-$HOME/.cache/qimg-iotests}
mkdir -p "$CACHE"

existing=$(ls -d "$CACHE"/qemu-7.2*/tests/qemu-iotests 2>/dev/null | head -n1 || true)
if [ -n "$existing" ] && [ -x "$existing/check" ]; then
    echo "$existing"
    exit 0
fi

have_src() {
    grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}
if ! have_src; then
    [ "$(id -u)" = 0 ] || { echo "fetch.sh: no deb-src entry and not root; add one for Debian's main archive" >&2; exit 1; }
    src=/etc/apt/sources.list.d/debian.sources
    if [ -f "$src" ]; then
        # deb822: the same archive entries as the binary ones, as deb-src.
        sed -n '/^Types:/,/^$/p' "$src" | sed 's/^Types: .*/Types: deb-src/' > /etc/apt/sources.list.d/qimg-deb-src.sources
    else
        grep -hE '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/qimg-deb-src.list
    fi
    apt-get update -qq >&2
fi
command -v dpkg-source >/dev/null || apt-get install -y -qq dpkg-dev >&2

cd "$CACHE"
# The source version of the installed qemu-utils (without a binNMU suffix such as +b3).
ver=$(dpkg-query -W -f '${source:Version}' qemu-utils 2>/dev/null || true)
if [ -n "$ver" ]; then
    apt-get source -qq "qemu=$ver" >&2 || apt-get source -qq qemu >&2
else
    apt-get source -qq qemu >&2
fi
dir=$(ls -d "$CACHE"/qemu-7.2*/tests/qemu-iotests | head -n1)
echo "$dir"
