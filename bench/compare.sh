#!/usr/bin/env bash
# `make bench-compare BASE=<git ref>`: instructions per successful call of the C API (callgrind,
# inside hss_image_upload_command_get/_free, everything they call included) for the library
# built from BASE and for the working tree, against the same private nginx. Deterministic, so a
# change's cost on the success path shows exactly, on any machine. Never part of `make test`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BASE=${1:?usage: bench/compare.sh <git ref>}
CALLS=${BENCH_COMPARE_CALLS:-2000}
OUT=build/bench/compare
SWIFT=${SWIFT:-$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)}
NGINX=${NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}
log() { printf '[compare %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
[ -x "$NGINX" ] && command -v valgrind >/dev/null || { echo "needs nginx and valgrind (make bench installs them)" >&2; exit 1; }

rm -rf "$OUT" && mkdir -p "$OUT/ngx/tmp"
# Each side: its own library (release, the Makefile's flags, unstripped for callgrind) and
# bench/c_api.c compiled against its own header.
build_side() { # NAME TREE
    local name=$1 tree=$2
    log "building $name ($tree)"
    (cd "$tree" && SWIFT=$SWIFT make -s lib >/dev/null)
    mkdir -p "$OUT/$name"
    cp "$tree/.build/release/libhss.so" "$OUT/$name/libhss.so.1"
    cc -O2 -Wall -Werror -I"$tree/include" -o "$OUT/$name/c_api" bench/c_api.c -L"$tree/build/lib" -lhss -lpthread
}
git worktree remove --force "$OUT-base" 2>/dev/null || true
git worktree add --detach "$ROOT/$OUT-base" "$BASE" >/dev/null
trap 'git worktree remove --force "$ROOT/$OUT-base" 2>/dev/null || true; [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null || true' EXIT
build_side base "$ROOT/$OUT-base"
build_side head "$ROOT"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@PREFIX@|$ROOT/$OUT/ngx|g" -e "s|@PORT@|$PORT|g" -e "s|@PROJECT_ID@|0123456789abcdef0123456789abcdef|g" \
    bench/nginx.conf.in >"$OUT/ngx/nginx.conf"
"$NGINX" -p "$ROOT/$OUT/ngx" -e "$ROOT/$OUT/ngx/error.log" -c "$ROOT/$OUT/ngx/nginx.conf" &
NGINX_PID=$!
sleep 1

ir() { # NAME -> instructions per call
    LD_LIBRARY_PATH=$OUT/$1 valgrind --tool=callgrind --callgrind-out-file="$OUT/$1.callgrind" \
        --toggle-collect=hss_image_upload_command_get --toggle-collect=hss_image_upload_command_free \
        "$OUT/$1/c_api" "http://127.0.0.1:$PORT" "$CALLS" 0 >/dev/null 2>&1
    awk -v n="$CALLS" '/^(summary|totals):/ {printf "%.0f\n", $2 / n; exit}' "$OUT/$1.callgrind"
}
base=$(ir base)
head=$(ir head)
echo "instructions per call: $BASE $base, working tree $head ($(awk -v b="$base" -v h="$head" 'BEGIN {printf "%+.2f%%", (h - b) * 100 / b}'))"
