#!/usr/bin/env bash
# `make bench`: libhss side by side with bare libcurl and the official Python SDK.
# Installs what it lacks (Debian, as root), builds its programs into build/bench/,
# runs a private nginx on a free 127.0.0.1 port, measures (bench/driver.py) and
# writes bench/results/latest.md and bench/results/calls_per_second.png.
# Never part of `make test`. See bench/README.md.
#
# Knobs (environment): BENCH_REPS (default 5), BENCH_SECONDS per repetition (1.5),
# BENCH_MEMORY_CALLS (100000), SWIFT, CC, NGINX. Arguments go to bench/driver.py: `bench/run.sh --only
# async` measures only the calls that do not block, into the last run's results.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

OUT=build/bench
BIN=$OUT/bin
VENV=$OUT/venv
NGX=$ROOT/$OUT/nginx
SWIFT=${SWIFT:-$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)}
SWIFTC=${SWIFTC:-$(dirname "$SWIFT")/swiftc}
CC=${CC:-cc}
# swift-demangle (profile) lives next to swift, which may not be on PATH.
export SWIFT PATH="$PATH:$(dirname "$SWIFT")"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "error: $*" >&2; exit 1; }

mkdir -p "$BIN" "$OUT/sign" bench/results

# --- 1. The library and the shell command (with the Makefile's Debian packages). ---
make -s lib cli

# --- 2. From Debian: nginx (the server), hyperfine (the command vs curl), valgrind and curl. ---
NGINX=${NGINX:-$(command -v nginx 2>/dev/null || true)}
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
missing=
[ -n "$NGINX" ] || missing="nginx-light"
for tool in hyperfine:hyperfine valgrind:valgrind callgrind_annotate:valgrind curl:curl; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
missing=$(printf '%s\n' $missing | sort -u | xargs)
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || die "missing: $missing; run as root (or: apt-get install $missing)"
    log "installing $missing"
    policy_added=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        # Keep apt from starting (and enabling on port 80) the system's nginx.
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy_added=1
    fi
    apt-get update -qq
    # shellcheck disable=SC2086 # a list of package names
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
    [ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
fi
export BENCH_NGINX=$NGINX

# --- 3. The bench venv: official SDK (baseline) and matplotlib (chart). ---
if ! cmp -s bench/requirements.txt "$VENV/.bench-requirements"; then
    log "creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
    cp bench/requirements.txt "$VENV/.bench-requirements"
fi

# --- 4. The C programs, against the public header and build/lib/libhss.so.1. ---
log "building the C programs"
CFLAGS="-O2 -Wall -Wextra -Werror -Iinclude"
CURL_FLAGS=$(pkg-config --cflags --libs libcurl)
CRYPTO_FLAGS=$(pkg-config --cflags --libs libcrypto)
for prog in c_api threads memory cold_start async; do
    $CC $CFLAGS -o "$BIN/$prog" "bench/$prog.c" -Lbuild/lib -lhss -lpthread $CURL_FLAGS
done
$CC $CFLAGS -o "$BIN/curl_floor" bench/curl_floor.c $CURL_FLAGS
$CC $CFLAGS -o "$BIN/sign_floor" bench/sign_floor.c $CRYPTO_FLAGS
$CC $CFLAGS -o "$BIN/dlopen_time" bench/dlopen.c -ldl  # linked with neither libhss nor libcurl

# --- 5. libhss's signer alone: bench/sign, an executable target of the package that ---
# uses the library's own modules, built by SwiftPM in release mode (see bench/README.md).
log "building hss-sign-bench (swift build -c release)"
"$SWIFT" build -c release --product hss-sign-bench > "$OUT/sign/build.log" 2>&1 \
    || { cat "$OUT/sign/build.log" >&2; die "could not build hss-sign-bench"; }
cp .build/release/hss-sign-bench "$BIN/hss-sign-bench"

# --- 6. A private nginx on a free loopback port. ---
mkdir -p "$NGX/tmp"
NGINX_PID=
cleanup() {
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -TERM "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for attempt in 1 2 3; do
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    sed -e "s|@PREFIX@|$NGX|g" -e "s|@PORT@|$PORT|g" -e "s|@PROJECT_ID@|0123456789abcdef0123456789abcdef|g" \
        bench/nginx.conf.in > "$NGX/nginx.conf"
    : > "$NGX/error.log"
    "$NGINX" -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" &
    NGINX_PID=$!
    for _ in $(seq 50); do
        port_open "$PORT" && break
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    port_open "$PORT" && break
    cleanup
    NGINX_PID=
    [ "$attempt" = 3 ] && { cat "$NGX/error.log" >&2; die "nginx did not start"; }
done
ENDPOINT=http://127.0.0.1:$PORT
log "nginx (pid $NGINX_PID) on $ENDPOINT"
LD_LIBRARY_PATH=build/lib "$BIN/curl_floor" "$ENDPOINT" 1 0 > /dev/null || die "nginx does not answer the API path"

# --- 7. Measure and report. ---
"$VENV/bin/python" bench/driver.py --endpoint "$ENDPOINT" --out bench/results "$@"
