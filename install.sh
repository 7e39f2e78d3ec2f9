#!/usr/bin/env bash
# Installs qimg under PREFIX (default /usr/local): PREFIX/bin/qimg (the launcher), PREFIX/lib/qimg/qimg.jar,
# man pages in PREFIX/share/man/man1, bash completion in PREFIX/share/bash-completion/completions and the
# same script for zsh in PREFIX/share/qimg/completion/qimg.zsh.
#   From a clone:            mvn -B package && ./install.sh [PREFIX]
#   From the archive alone:  tar xzf qimg-VERSION-dist.tar.gz && qimg-VERSION/install.sh [PREFIX]
# Needs a JDK or JRE 17+ at run time (java on PATH, or JAVA_HOME).
set -euo pipefail
prefix=${1:-/usr/local}
case $prefix in -h|--help) sed -n '2,7p' "$0"; exit 0 ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
if [ -f "$here/lib/qimg/qimg.jar" ]; then
  src=$here                                   # run from an unpacked archive
else
  archive=
  for f in "$here"/cli/target/qimg-*-dist.tar.gz; do [ -f "$f" ] && archive=$f; done
  if [ -z "$archive" ]; then
    echo "install.sh: no build found ($here/cli/target/qimg-*-dist.tar.gz): run 'mvn -B package' first" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  tar -xzf "$archive" -C "$tmp"
  src=$(echo "$tmp"/qimg-*)
fi
install -d "$prefix/bin" "$prefix/lib/qimg" "$prefix/share/man/man1" \
  "$prefix/share/bash-completion/completions" "$prefix/share/qimg/completion"
install -m 0644 "$src/lib/qimg/qimg.jar" "$prefix/lib/qimg/qimg.jar"
install -m 0755 "$src/bin/qimg" "$prefix/bin/qimg"
install -m 0644 "$src"/share/man/man1/*.1 "$prefix/share/man/man1/"
install -m 0644 "$src/share/bash-completion/completions/qimg" "$prefix/share/bash-completion/completions/qimg"
install -m 0644 "$src/share/qimg/completion/qimg.zsh" "$prefix/share/qimg/completion/qimg.zsh"
echo "qimg installed in $prefix: run $prefix/bin/qimg (man qimg-convert; zsh completion: source $prefix/share/qimg/completion/qimg.zsh)"
