#!/bin/bash
# Runs QEMU 7.2's own qemu-iotests against qimg and prints a pass/fail table, qemu-img vs qimg.
#
#   tests/iotests/run.sh [-f "qcow2 raw"] [-g GROUP] [-j N] [--refresh] [TEST...]
#
# 1. fetch.sh unpacks Debian's qemu source package once (apt-get source; nothing else is fetched, nothing
#    of QEMU is built) into $QIMG_IOTESTS_CACHE (default ~/.cache/qimg-iotests).
# 2. Every selected test (default: the "auto" group, what QEMU's `make check-block` runs) is first run with
#    the real qemu-img; results are cached in $CACHE/ref-<fmt>.results, so this costs time only once.
# 3. The tests that pass with qemu-img are run again with QEMU_IMG_PROG pointing at a dispatcher that
#    sends the commands qimg has to qimg (this checkout's ./qimg launcher) and the rest to qemu-img.
#    qemu-io, qemu-nbd and qemu-storage-daemon stay QEMU's; qemu-system-x86_64 is wrapped to use TCG in place
#    of the qtest accelerator Debian's binary lacks.
# 4. A table: one line per test and format, qemu-img's and qimg's result; then the totals.
#
# Environment: QIMG_IOTESTS_CACHE, QIMG_IOTESTS_WORK (scratch and results; default $CACHE/work: set it per
# checkout when several run at once), QIMG_COMMANDS (space-separated commands to send to qimg; default: the
# commands the jar registers), QIMG_IOTESTS_KEEP=1 keeps scratch directories.
# Full run: about 45 minutes the first time on 2 shared cores, 25 once qemu-img's results are cached.
# CI subset: run.sh -f qcow2 001 002 004 ...
set -euo pipefail
# The whole script is one function, parsed before it runs: editing this file during a run is safe.
main() {
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
CACHE=${QIMG_IOTESTS_CACHE:-$HOME/.cache/qimg-iotests}
export QIMG_IOTESTS_CACHE=$CACHE
formats="qcow2 raw"
group=auto
jobs=1
refresh=0
tests=()
while [ $# -gt 0 ]; do
    case $1 in
        -f) formats=$2; shift 2 ;;
        -g) group=$2; shift 2 ;;
        -j) jobs=$2; shift 2 ;;
        --refresh) refresh=1; shift ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) tests+=("$1"); shift ;;
    esac
done

src=$("$here/fetch.sh")
[ -x "$src/check" ] || { echo "run.sh: no check script in $src" >&2; exit 1; }
[ -f "$repo/cli/target/qimg.jar" ] || { echo "run.sh: build qimg first (mvn -q -B -DskipTests package)" >&2; exit 1; }

work=${QIMG_IOTESTS_WORK:-$CACHE/work}
bin=$work/bin
mkdir -p "$bin"
# A copy of the launcher and jar, so that rebuilding the checkout during a run does not disturb it.
snap=$work/qimg-snapshot
rm -rf "$snap"
mkdir -p "$snap/cli/target"
cp "$repo/qimg" "$snap/qimg"
cp "$repo/cli/target/qimg.jar" "$snap/cli/target/qimg.jar"

# qemu-system-x86_64: Debian's binary has no qtest accelerator; TCG runs the same tests.
cat >"$bin/qemu-system-x86_64" <<'W'
#!/bin/bash
args=()
for a in "$@"; do
    case $a in
        qtest) args+=(tcg) ;;
        *accel=qtest*) args+=("${a//accel=qtest/accel=tcg}") ;;
        *) args+=("$a") ;;
    esac
done
exec /usr/bin/qemu-system-x86_64 "${args[@]}"
W
chmod +x "$bin/qemu-system-x86_64"

# The commands qimg answers: those its command line registers (qimg --help lists them).
if [ -z "${QIMG_COMMANDS:-}" ]; then
    QIMG_COMMANDS=$("$snap/qimg" --help 2>/dev/null | awk '/^Commands:/{c=1;next} c && /^  [a-z]/{print $1}' \
        | grep -v '^help$' | tr '\n' ' ' || true)
fi
[ -n "$QIMG_COMMANDS" ] || { echo "run.sh: could not list qimg's commands (set QIMG_COMMANDS)" >&2; exit 1; }

# QEMU_IMG_PROG for the qimg run: the first word that is not a global option names the command.
cat >"$bin/qemu-img-qimg" <<W
#!/bin/bash
qimg_commands=" $QIMG_COMMANDS "
cmd=
skip=0
for a in "\$@"; do
    if [ \$skip = 1 ]; then skip=0; continue; fi
    case \$a in
        -T|--trace) skip=1 ;;
        -*) ;;
        *) cmd=\$a; break ;;
    esac
done
if [ -n "\$cmd" ] && [[ \$qimg_commands == *" \$cmd "* ]]; then
    # qimg names itself "qimg:" in its messages, qemu-img "qemu-img:": the reference outputs expect the
    # latter. The rewrite keeps the order of stdout and stderr lines when both go to the same file.
    if [ /proc/self/fd/1 -ef /proc/self/fd/2 ]; then
        "$snap/qimg" "\$@" 2>&1 | sed -u 's/^qimg: /qemu-img: /'
        exit \${PIPESTATUS[0]}
    fi
    { "$snap/qimg" "\$@" 2>&1 1>&3 3>&- | sed -u 's/^qimg: /qemu-img: /' >&2; } 3>&1
    exit \${PIPESTATUS[0]}
fi
exec /usr/bin/qemu-img "\$@"
W
chmod +x "$bin/qemu-img-qimg"

# A build tree for each run (check reads programs relative to it and writes results under TEST_DIR).
}
run_check() { # label fmt imgprog tests...
    local label=$1 fmt=$2 prog=$3; shift 3
    local build=$work/build-$label-$fmt
    rm -rf "$build"
    mkdir -p "$build/tests/qemu-iotests"
    ln -s "$src/check" "$build/tests/qemu-iotests/check"
    (cd "$src" && \
        TEST_DIR=$build/scratch SOCK_DIR=$build/sock \
        QEMU_PROG=$bin/qemu-system-x86_64 QEMU_IMG_PROG=$prog QEMU_IO_PROG=/usr/bin/qemu-io \
        QEMU_NBD_PROG=/usr/bin/qemu-nbd QSD_PROG=/usr/bin/qemu-storage-daemon \
        "$build/tests/qemu-iotests/check" -tap -j "$jobs" "-$fmt" "$@" >"$build/tap.out" 2>&1 || true)
    # "ok qcow2 001", "not ok qcow2 001", "ok qcow2 001 # SKIP"
    awk '/^ok .* # SKIP/{print $3, "skip"; next} /^ok /{print $3, "pass"; next} /^not ok /{print $4, "fail"}' \
        "$build/tap.out"
}

run_all() {
total_ref=0; total_pass=0
table=$work/table.txt
: >"$table"
for fmt in $formats; do
    if [ ${#tests[@]} -gt 0 ]; then
        selected=("${tests[@]}")
    else
        mapfile -t selected < <(cd "$src" && QEMU_PROG=$bin/qemu-system-x86_64 QEMU_IMG_PROG=/usr/bin/qemu-img \
            QEMU_IO_PROG=/usr/bin/qemu-io QEMU_NBD_PROG=/usr/bin/qemu-nbd QSD_PROG=/usr/bin/qemu-storage-daemon \
            ./check -n "-$fmt" -g "$group" | sed 's,^tests/,,')
    fi
    ref=$CACHE/ref-$fmt.results
    touch "$ref"
    [ $refresh = 1 ] && : >"$ref"
    missing=()
    for t in "${selected[@]}"; do
        grep -q "^$(basename "$t") " "$ref" || missing+=("$t")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "run.sh: $fmt: ${#missing[@]} test(s) with the real qemu-img first (cached in $ref)" >&2
        run_check ref "$fmt" /usr/bin/qemu-img "${missing[@]}" >>"$ref"
    fi
    passing=()
    for t in "${selected[@]}"; do
        grep -q "^$(basename "$t") pass$" "$ref" && passing+=("$t")
    done
    [ ${#passing[@]} -gt 0 ] || continue
    echo "run.sh: $fmt: ${#passing[@]} test(s) with qimg" >&2
    run_check qimg "$fmt" "$bin/qemu-img-qimg" "${passing[@]}" >"$work/qimg-$fmt.results"
    for t in "${passing[@]}"; do
        n=$(basename "$t")
        r=$(awk -v n="$n" '$1==n{print $2}' "$work/qimg-$fmt.results")
        printf '%-28s %-6s %-8s %s\n' "$n" "$fmt" pass "${r:-missing}" >>"$table"
        total_ref=$((total_ref + 1))
        [ "$r" = pass ] && total_pass=$((total_pass + 1))
    done
done
printf '%-28s %-6s %-8s %s\n' TEST FORMAT qemu-img qimg
cat "$table"
echo "qimg passes $total_pass of the $total_ref tests that pass with qemu-img (formats: $formats)"
echo "Failures' diffs: $work/build-qimg-<fmt>/scratch/<test>.out.bad; qimg commands: $QIMG_COMMANDS"
[ "$total_pass" = "$total_ref" ]
}

main "$@"
run_all
