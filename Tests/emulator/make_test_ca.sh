#!/usr/bin/env bash
# Make a throw-away test CA and a server certificate for the HSS emulator.
#
#   Tests/emulator/make_test_ca.sh OUTDIR
#
# Writes OUTDIR/ca.pem, ca.key, server.pem, server.key: EC P-256 keys, server cert signed by
# the CA, SAN IP:127.0.0.1 + DNS:localhost, valid 2 days. Idempotent: if the four files exist,
# chain up and stay valid for at least another hour, nothing is done. Quiet unless it fails.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"

is_fresh() {
    local f
    for f in ca.pem ca.key server.pem server.key; do
        [ -s "$out/$f" ] || return 1
    done
    openssl x509 -in "$out/server.pem" -noout -checkend 3600 >/dev/null 2>&1 || return 1
    openssl x509 -in "$out/ca.pem" -noout -checkend 3600 >/dev/null 2>&1 || return 1
    openssl verify -CAfile "$out/ca.pem" "$out/server.pem" >/dev/null 2>&1 || return 1
    # the key must match the certificate
    [ "$(openssl pkey -in "$out/server.key" -pubout 2>/dev/null)" = \
      "$(openssl x509 -in "$out/server.pem" -noout -pubkey 2>/dev/null)" ]
}

if is_fresh; then
    exit 0
fi

# Build everything in a scratch dir inside OUTDIR, then move into place, so a half-written
# set is never left behind.
tmp=$(mktemp -d "$out/.make_test_ca.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077

cat >"$tmp/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = libhss test CA (do not trust)
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

cat >"$tmp/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

{
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key"
    openssl req -new -x509 -config "$tmp/ca.cnf" -key "$tmp/ca.key" -sha256 -days 2 \
        -set_serial "0x$(openssl rand -hex 16)" -out "$tmp/ca.pem"

    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/server.key"
    openssl req -new -key "$tmp/server.key" -subj "/CN=localhost" -out "$tmp/server.csr"
    openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -sha256 -days 2 \
        -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/server.ext" -out "$tmp/server.pem"
    openssl verify -CAfile "$tmp/ca.pem" "$tmp/server.pem"
} >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }

chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
for f in ca.key ca.pem server.key server.pem; do
    mv -f "$tmp/$f" "$out/$f"
done
