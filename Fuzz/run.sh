#!/bin/bash
# Runs the fuzz targets built by Fuzz/build.sh (Fuzz/README.md).
#   Fuzz/run.sh OUT SECONDS [TARGET...]   fuzz each target for SECONDS from its seed corpus
#                                         (Fuzz/corpus/T, plus Tests/data/JSONTestSuite for json),
#                                         keeping what it finds in OUT/corpus/T
#   Fuzz/run.sh --smoke OUT SECONDS       replay every seed (the regression inputs among them),
#                                         then fuzz each target for SECONDS; keeps nothing
# Targets run FUZZ_JOBS at a time (default: the number of CPUs). A crash is saved as
# OUT/crashes/T/crash-<sha1>, and the run fails; each target's log is OUT/logs/T.log.
set -uo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = --smoke ]; then
    smoke=1
    shift
fi
out=${1:?usage: Fuzz/run.sh [--smoke] OUT SECONDS [TARGET...]}
seconds=${2:?usage: Fuzz/run.sh [--smoke] OUT SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(ls Fuzz/targets | sed -n 's/\.swift$//p'))
toolchain=$(dirname "$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)")

# The Swift runtime's own crash backtracer would race libFuzzer's handler (and hang).
export SWIFT_BACKTRACE=enable=no
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$toolchain/llvm-symbolizer}
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64:malloc_context_size=5}
export TMPDIR=$out/tmp
mkdir -p "$out/logs" "$out/tmp"

# run_one TARGET: fuzz it; prints one summary line.
run_one() {
    local target=$1 work=$out/corpus/$1 log=$out/logs/$1.log
    local seeds=(Fuzz/corpus/"$target")
    [ "$target" = json ] && seeds+=(Tests/data/JSONTestSuite)
    if [ $smoke = 1 ]; then
        work=$out/smoke/$target
        rm -rf "$work"
    fi
    mkdir -p "$work" "$out/crashes/$target"
    local options=(-max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$out/crashes/$target/")
    [ -f "Fuzz/dict/$target.dict" ] && options+=(-dict="Fuzz/dict/$target.dict")
    "$out/bin/$target" "${options[@]}" "$work" "${seeds[@]}" >"$log" 2>&1
    local status=$?
    local runs rate cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1 | awk '{print $2, $4, $6}')
    cov=${cov:-? ? ?}
    local result=ok
    if [ $status != 0 ]; then
        result="FAILED: $(sed -n 's/.*Test unit written to //p' "$log" | tail -1) (log: $log)"
    fi
    printf '%-10s %12s %9s %7s %7s %7s  %s\n' "$target" "${runs:-?}" "${rate:-?}" $cov "$result"
    if [ $status != 0 ]; then
        grep -E -m 8 'fuzz property violated|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|Fatal error|SUMMARY|#[0-9]+ 0x.* in \$s' "$log" | cut -c1-300 | sed 's/^/    /'
    fi
    return $status
}
export -f run_one
export out seconds smoke

printf '%-10s %12s %9s %7s %7s %7s  %s\n' target executions exec/s cov ft corpus result
printf '%s\n' "${targets[@]}" | xargs -P "${FUZZ_JOBS:-$(nproc)}" -I{} bash -c 'run_one {}'
