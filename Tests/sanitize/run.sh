#!/bin/bash
# make sanitize (issue 14): libhss built with ASan + UBSan, then with TSan, each apart from build/lib
# (.build-asan, .build-tsan -> build/sanitize/<asan|tsan>/lib), and the C-level test suite run against
# each with the emulator; under TSan also 64 threads x 1,000 calls on one client. Passes with zero
# reports: every report lands in build/sanitize/<mode>/logs (Tests/sanitize/options.c), which must
# stay empty, and the test whose program had one fails too.
#
#   Tests/sanitize/run.sh [asan|tsan ...]     (default: both)
#
# Environment: SWIFT, PYTHON (the test venv's), HSS_STRESS_CALLS (calls per thread under TSan, 1000),
# PYTEST_ARGS (more pytest arguments, e.g. -x).
#
# How the sanitizers reach every layer:
#   Swift code   swiftc -sanitize=address / -sanitize=thread (swiftc has no UBSan on Linux; Swift's own
#                overflow and bounds checks trap in release builds)
#   C shims      -fsanitize=address,undefined / -fsanitize=thread (SwiftPM's --sanitize, plus -Xcc)
#   test programs  Tests/sanitize/cc: the toolchain's clang (its sanitizer runtimes are swiftc's)
#   TSan         the Swift runtime is linked dynamically in the TSan build: libswiftCore.so then
#                exports __tsan_on_initialize, the hook by which the TSan runtime makes Swift's
#                swift_once (lazy globals) visible to TSan; statically linked and hidden behind
#                libhss.map it is never found, and every lazy global read is a false race. The
#                Mutex's uninstrumented slow paths are Tests/sanitize/swift_mutex_tsan.c's concern.
#   Not instrumented: libcurl, OpenSSL and the other system libraries (Debian's builds); ASan and
#   TSan still check every access libhss and the programs make to their memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
PYTHON=${PYTHON:-.venv/bin/python}
toolchain=$(dirname "$(readlink -f "$(command -v "$SWIFT")")")
swift_lib=$toolchain/../lib/swift/linux

# Every test file whose programs load libhss.so.1 from HSS_LIB_DIR, less what cannot run sanitized:
#   test_c_api's valgrind tests, test_memcheck.py   valgrind cannot run an ASan or TSan program
#                                                    (test_sanitize.py runs those cases without it)
#   test_fork_and_wipe's wipe scan    it reads every mapping, the sanitizers' terabytes of shadow too
#   test_abi.py                       the shipped binary's properties (stripped, exports, layout)
#   test_async's fork test            TSan cannot start threads in the child of a multithreaded fork()
#   the Python binding's and the command's tests, test_harness's Python case: the interpreter
#                                     is not instrumented, so it cannot load a sanitized library
TESTS=(Tests/test_c_api.py Tests/test_canary.py Tests/test_identity.py Tests/test_resilience.py
       Tests/test_network_settings.py Tests/test_hostile_server.py Tests/test_fork_and_wipe.py Tests/test_async.py
       "Tests/test_harness.py::test_guard_loaded_here_and_in_the_c_program"
       "Tests/test_harness.py::test_chain_without_credentials_stays_on_loopback[c]"
       Tests/test_sanitize.py
       --deselect "Tests/test_c_api.py::test_init[" --deselect "Tests/test_c_api.py::test_v1_structs["
       --deselect "Tests/test_c_api.py::test_gerror_rule[" --deselect Tests/test_fork_and_wipe.py::test_wipe
       --deselect "Tests/test_async.py::test_version_1_request[" --deselect Tests/test_async.py::test_fork)

build() {
    local mode=$1 flags
    case $mode in
    asan) flags=(--sanitize address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
                 -Xswiftc -static-stdlib) ;;
    tsan) flags=(--sanitize thread -Xlinker -rpath -Xlinker "$swift_lib") ;;
    esac
    echo "== $mode: building libhss (.build-$mode)"
    mkdir -p "build/sanitize/$mode/lib"
    if ! "$SWIFT" build -c release --product hss --scratch-path ".build-$mode" --disable-local-rpath "${flags[@]}" \
        -Xlinker -soname=libhss.so.1 -Xlinker --version-script="$PWD/Sources/HSSBoundary/libhss.map" \
        >"build/sanitize/$mode/build.log" 2>&1; then
        cat "build/sanitize/$mode/build.log" && exit 1
    fi
    cp ".build-$mode/release/libhss.so" "build/sanitize/$mode/lib/libhss.so.1"
    ln -sf libhss.so.1 "build/sanitize/$mode/lib/libhss.so"
}

run() {
    local mode=$1 logs=$PWD/build/sanitize/$1/logs status=0 start=$SECONDS
    rm -rf "$logs" && mkdir -p "$logs"
    echo "== $mode: the C-level suite"
    CC=$PWD/Tests/sanitize/cc HSS_SANITIZE_CLANG=$toolchain/clang HSS_SANITIZE_LOG=$logs \
        HSS_SANITIZE=$([ "$mode" = asan ] && echo address || echo thread) \
        HSS_STRESS_CALLS=$([ "$mode" = tsan ] && echo "${HSS_STRESS_CALLS:-1000}" || echo 20) \
        HSS_LIB_DIR=$PWD/build/sanitize/$mode/lib \
        "$PYTHON" -m pytest -q -p no:cacheprovider --durations=5 ${PYTEST_ARGS:-} "${TESTS[@]}" || status=$?
    for report in "$logs"/*; do
        [ -e "$report" ] || continue
        echo "== $mode report: $report" && cat "$report"
        status=1
    done
    echo "== $mode: $(find "$logs" -type f | wc -l) reports, pytest status $status, $((SECONDS - start)) s"
    return $status
}

modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(asan tsan)
status=0
for mode in "${modes[@]}"; do
    case $mode in asan | tsan) ;; *) echo "usage: $0 [asan|tsan ...]" >&2 && exit 2 ;; esac
    build "$mode"
    run "$mode" || status=1
done
echo "== make sanitize: $([ $status = 0 ] && echo passed || echo FAILED) in $SECONDS s"
exit $status
