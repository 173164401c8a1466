#!/bin/bash
# Builds the fuzz targets (Fuzz/README.md) into OUT (default build/fuzz):
#   OUT/modules  the library's modules (Sources/*), compiled with swiftc
#                -sanitize=fuzzer,address as Package.swift layers them: one
#                object and .swiftmodule per module, the C shim targets as C modules
#   OUT/bin/T    one libFuzzer executable per Fuzz/targets/T.swift, with Fuzz/common
# Only what is out of date is rebuilt. Usage: Fuzz/build.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/fuzz}
toolchain=$(dirname "$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)")
swiftc=${SWIFTC:-$toolchain/swiftc}
clang=${CLANG:-$toolchain/clang}
mods=$out/modules
# Package.swift's layers, lowest first, up to HSSBoundary (the C exports, for the entry target).
layers=(HSSBase HSSSigning HSSTransport HSSIdentity HSSPipeline HSSOperations HSSBoundary)
# HSS_TESTING compiles in the test hooks (HSSClient.transportForTesting) that libhss.so.1 never has.
swift_flags=(-sanitize=fuzzer,address -O -g -package-name libhss -parse-as-library -D HSS_TESTING
    -I "$mods" -Xcc "-fmodule-map-file=$mods/module.modulemap")
mkdir -p "$mods" "$out/bin"

# newer FILE PATH...: whether FILE is missing or any PATH holds something newer.
newer() {
    local file=$1
    shift
    [ ! -e "$file" ] || [ -n "$(find "$@" -newer "$file" -print -quit)" ]
}

# The C shim modules (Package.swift's), the test-only one last.
c_modules=(Sources/CHSSAPI Sources/CCryptoShims Sources/CCurlShims Sources/CYAMLShims Tests/CCryptoTestShims)

if newer "$mods/.stamp" Sources include Tests/CCryptoTestShims Fuzz/build.sh; then
    echo "fuzz: building the library's modules with -sanitize=fuzzer,address"
    : >"$mods/module.modulemap"
    for dir in "${c_modules[@]}"; do
        module=$(basename "$dir")
        printf 'module %s {\n    header "%s"\n    export *\n}\n' "$module" "$PWD/$dir/include/$module.h" \
            >>"$mods/module.modulemap"
        for source in "$dir"/*.c; do
            "$clang" -c -O1 -g -fsanitize=fuzzer-no-link,address -I"$dir/include" "$source" \
                -o "$mods/$module-$(basename "$source" .c).o"
        done
    done
    for module in "${layers[@]}"; do
        "$swiftc" "${swift_flags[@]}" -module-name "$module" -wmo -emit-module \
            -emit-module-path "$mods/$module.swiftmodule" -c -o "$mods/$module.o" \
            $(find "Sources/$module" -name '*.swift' | sort)
    done
    touch "$mods/.stamp"
fi

for source in Fuzz/targets/*.swift; do
    target=$(basename "$source" .swift)
    if newer "$out/bin/$target" "$mods/.stamp" "$source" Fuzz/common; then
        echo "fuzz: building $out/bin/$target"
        "$swiftc" "${swift_flags[@]}" -module-name "fuzz_$target" -use-ld=lld -o "$out/bin/$target" \
            Fuzz/common/*.swift "$source" "$mods"/*.o -lcurl -lcrypto
    fi
done
