#!/usr/bin/env bash
# `make demo`: ask HSS for the scanner-image upload commands through the C API.
# With HUAWEICLOUD_SDK_AK/SK (or CLOUD_SDK_AK/SK), HUAWEICLOUD_SDK_PROJECT_ID and
# HUAWEICLOUD_SDK_REGION set, it calls Huawei Cloud; otherwise it starts the
# local HSS emulator libhss ships (bindings/python/_hss_testing, hss-emulator(1)) and calls that.
# Registry values: HSS_DEMO_REGISTRY_ADDR, HSS_DEMO_NAMESPACE, HSS_DEMO_USERNAME,
# and the password in HSS_REGISTRY_PASSWORD (never on a command line).
set -euo pipefail
program=${1:?usage: demo.sh PATH_TO_upload_command}
here=$(cd "$(dirname "$0")/.." && pwd)
export LD_LIBRARY_PATH="$here/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

ak=${HUAWEICLOUD_SDK_AK:-${CLOUD_SDK_AK:-}}
if [[ -n "$ak" && -n "${HUAWEICLOUD_SDK_PROJECT_ID:-}" && -n "${HUAWEICLOUD_SDK_REGION:-${HUAWEICLOUD_SDK_ENDPOINT:-}}" ]]; then
    echo "== calling Huawei Cloud HSS (${HUAWEICLOUD_SDK_REGION:-$HUAWEICLOUD_SDK_ENDPOINT})"
else
    workdir=$(mktemp -d)
    trap 'kill "$emulator" 2>/dev/null; wait "$emulator" 2>/dev/null; rm -rf "$workdir"' EXIT
    # The emulator libhss ships (hss-emulator(1)); --print-env: the environment that points a client at it.
    PYTHONPATH="$here/bindings/python" python3 -m _hss_testing --port 0 --print-env >"$workdir/env" &
    emulator=$!
    for _ in $(seq 100); do grep -q HUAWEICLOUD_SDK_SK "$workdir/env" && break; sleep 0.05; done
    grep -q HUAWEICLOUD_SDK_SK "$workdir/env" || { echo "the emulator did not start" >&2; exit 1; }
    # shellcheck source=/dev/null
    . "$workdir/env"
    echo "== no cloud credentials in the environment: calling the local HSS emulator at $HSS_EMULATOR_ENDPOINT"
    export HSS_REGISTRY_PASSWORD=${HSS_REGISTRY_PASSWORD:-demo-Passw0rd}
fi

registry=${HSS_DEMO_REGISTRY_ADDR:-harbor.example.com:443}
namespace=${HSS_DEMO_NAMESPACE:-hss-scanner}
username=${HSS_DEMO_USERNAME:-admin}

echo "== through the C API (examples/upload_command.c)"
"$program" "$registry" "$namespace" "$username"

echo
echo "== through the shell command, as a script would use it (--output env)"
printf '%s\n' "${HSS_REGISTRY_PASSWORD:-}" | "$here/build/bin/hss-image-upload-command" --password-stdin \
    --output env --registry-addr "$registry" --namespace "$namespace" --username "$username"
