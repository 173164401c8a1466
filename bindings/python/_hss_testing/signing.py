"""The five request-signing algorithms of the official Huawei Cloud SDKs, as the emulator verifies
them (hss-emulator(1), SIGNATURES; the rules are those of the official Python SDK's signer,
huaweicloudsdkcore 3.1.219, and libhss's source tree proves them against that SDK's recorded
vectors, Tests/vectors/algorithms/). The shared canonical request is built in canonical.py; this
module does what differs per algorithm:

    algorithm               hash    payload header        signature
    SDK-HMAC-SHA256         SHA-256 X-Sdk-Content-Sha256  HMAC(key=SK)
    SDK-HMAC-SM3            SM3     X-Sdk-Content-Sm3     HMAC(key=SK)
    V11-HMAC-SHA256         SHA-256 X-Sdk-Content-Sha256  HMAC(key=hex(HKDF(salt=AK, SK, scope))), scope
                                                          "YYYYMMDD/region/service" in the string to sign
    SDK-ECDSA-P256-SHA256   SHA-256 X-Sdk-Content-Sha256  ECDSA over SHA-256(string to sign)
    SDK-SM2-SM3             SM3     X-Sdk-Content-Sm3     SM2 over SM3(Z_A || string to sign)

The EC key pairs are derived from AK/SK as the SDK derives them (SP 800-108 counter-mode KDF with
HMAC-SHA256 or HMAC-SM3, label = the algorithm's name, context = AK || counter), public key d*G here
in Python, cached per key. Signatures are checked by libcrypto (ctypes, EVP_PKEY_verify of the
digest). SM2's Z_A is GB/T 32918's, with 32-byte coordinates: for the about one key in 128 whose
public x or y is below 2^248 (AK AKEXAMPLE298, SK SKEXAMPLE) the official Python SDK hashes shorter
coordinates, and its signatures are refused here as OpenSSL refuses them.

Python standard library only (hashlib's SM3 comes from OpenSSL), plus ctypes for libcrypto: the
system's, else the copy the libhss wheel carries (libhss.libs/ beside this package).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import hashlib
import hmac
import os
import re

HMAC_SHA256 = "SDK-HMAC-SHA256"
HMAC_SM3 = "SDK-HMAC-SM3"
ECDSA_P256 = "SDK-ECDSA-P256-SHA256"
SM2_SM3 = "SDK-SM2-SM3"
V11 = "V11-HMAC-SHA256"
ALGORITHMS = (HMAC_SHA256, HMAC_SM3, ECDSA_P256, SM2_SM3, V11)
_SM3_FAMILY = (HMAC_SM3, SM2_SM3)

SM2_ID = b"1234567812345678"  # the default distinguishing ID; ENTL = 128 bits
# p, a, b, Gx, Gy (FIPS 186-4; GB/T 32918.5)
_CURVES = {
    ECDSA_P256: (0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
                 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
                 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
                 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
                 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5),
    SM2_SM3: (0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
              0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
              0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
              0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
              0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0),
}
SPKI_PREFIX = {  # SubjectPublicKeyInfo DER up to the key's 04||X||Y (id-ecPublicKey, the curve's OID)
    ECDSA_P256: bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200"),
    SM2_SM3: bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200"),
}
# The SDK accepts a KDF candidate c when c <= n - 2 for P-256's n, for SM2 too (its signer's rule).
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def digest_name(algorithm: str) -> str:
    return "sm3" if algorithm in _SM3_FAMILY else "sha256"


def hash_hex(algorithm: str, data: bytes) -> str:
    return hashlib.new(digest_name(algorithm), data).hexdigest()


def content_header(algorithm: str) -> str:
    """The header whose value replaces the body hash (UNSIGNED-PAYLOAD)."""
    return "X-Sdk-Content-Sm3" if algorithm in _SM3_FAMILY else "X-Sdk-Content-Sha256"


def string_to_sign(sdk_date: str, canonical_request: bytes, algorithm: str = HMAC_SHA256,
                   scope: str | None = None) -> bytes:
    lines = [algorithm, sdk_date] + ([scope] if algorithm == V11 else []) + [hash_hex(algorithm, canonical_request)]
    return "\n".join(lines).encode("utf-8")


def derived_key(ak: str, sk: str, scope: str) -> bytes:
    """V11's HMAC key: the hex (as ASCII) of HKDF-SHA256(salt=AK, IKM=SK, info=scope, L=32)."""
    prk = hmac.digest(ak.encode("utf-8"), sk.encode("utf-8"), "sha256")
    return hmac.digest(prk, scope.encode("utf-8") + b"\x01", "sha256").hex().encode("ascii")


def hmac_signature(algorithm: str, ak: str, sk: str, sts: bytes, scope: str | None = None) -> str:
    key = derived_key(ak, sk, scope) if algorithm == V11 else sk.encode("utf-8")
    return hmac.new(key, sts, digest_name(algorithm)).hexdigest()


def ec_private_key(algorithm: str, ak: str, sk: str) -> int:
    """d from AK/SK: one block of the SP 800-108 counter KDF, retried with the next counter byte."""
    for counter in range(0xFF):
        data = b"\0\0\0\1" + algorithm.encode() + b"\0" + ak.encode("utf-8") + bytes([counter]) + b"\0\0\1\0"
        candidate = int.from_bytes(hmac.digest(sk.encode("utf-8"), data, digest_name(algorithm)), "big")
        if candidate <= _P256_N - 2:
            return candidate + 1
    raise ValueError("no EC key candidate for this AK/SK")


def _multiply(curve: tuple, k: int) -> tuple[int, int]:
    """k*G in affine coordinates (not constant time: a test server's public keys only)."""
    p, a, _, gx, gy = curve

    def add(u, v):
        if u is None or v is None:
            return u or v
        if u[0] == v[0] and (u[1] + v[1]) % p == 0:
            return None
        if u == v:
            m = (3 * u[0] * u[0] + a) * pow(2 * u[1], -1, p)
        else:
            m = (v[1] - u[1]) * pow(v[0] - u[0], -1, p)
        x = (m * m - u[0] - v[0]) % p
        return x, (m * (u[0] - x) - u[1]) % p

    result, addend = None, (gx, gy)
    while k:
        if k & 1:
            result = add(result, addend)
        addend, k = add(addend, addend), k >> 1
    return result


@functools.lru_cache(maxsize=256)
def ec_public_key(algorithm: str, ak: str, sk: str) -> bytes:
    """The uncompressed SEC1 public key 04||X||Y of AK/SK's key pair for ECDSA_P256 or SM2_SM3."""
    x, y = _multiply(_CURVES[algorithm], ec_private_key(algorithm, ak, sk))
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def sm2_za(public_key: bytes, uid: bytes = SM2_ID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || Gx || Gy || x_A || y_A), every field 32 bytes (GB/T 32918)."""
    _, a, b, gx, gy = _CURVES[SM2_SM3]
    fields = b"".join(n.to_bytes(32, "big") for n in (a, b, gx, gy))
    return hashlib.new("sm3", (len(uid) * 8).to_bytes(2, "big") + uid + fields + public_key[1:]).digest()


def _libcrypto_candidates() -> list[str]:
    """The system's libcrypto (what Python's own hashlib uses), then the libhss wheel's copy."""
    wheel = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libhss.libs")
    return [ctypes.util.find_library("crypto") or "libcrypto.so.3",
            *sorted(glob.glob(os.path.join(wheel, "libcrypto-*.so*")))]


@functools.lru_cache(maxsize=None)
def _libcrypto():
    errors = []
    for candidate in _libcrypto_candidates():
        try:
            lib = ctypes.CDLL(candidate)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise OSError("ECDSA and SM2 verification need OpenSSL 3's libcrypto: %s" % "; ".join(errors))
    p = ctypes.c_void_p
    lib.d2i_PUBKEY.restype, lib.d2i_PUBKEY.argtypes = p, [p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
    lib.EVP_PKEY_CTX_new_from_pkey.restype, lib.EVP_PKEY_CTX_new_from_pkey.argtypes = p, [p, p, ctypes.c_char_p]
    lib.EVP_PKEY_verify_init.argtypes = [p]
    lib.EVP_PKEY_verify.argtypes = [p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    lib.EVP_PKEY_CTX_free.argtypes = [p]
    return lib


@functools.lru_cache(maxsize=256)
def _evp_public_key(algorithm: str, public_key: bytes) -> int:
    """An EVP_PKEY (kept for the process's life) from the SubjectPublicKeyInfo DER; OpenSSL 3 makes
    it an SM2 key for the SM2 curve, so that EVP_PKEY_verify then checks an SM2 signature."""
    der = SPKI_PREFIX[algorithm] + public_key
    cursor = ctypes.c_char_p(der)
    pkey = _libcrypto().d2i_PUBKEY(None, ctypes.byref(cursor), len(der))
    if not pkey:
        raise ValueError("libcrypto refused the %s public key" % algorithm)
    return pkey


def ec_verify(algorithm: str, public_key: bytes, sts: bytes, signature: bytes, za: bytes | None = None) -> bool:
    """signature: DER SEQUENCE{r, s} over the string to sign, as the SDK makes it. za: SM2's Z_A
    if not the standard one (tests show with it what the SDK's own Z_A does)."""
    if algorithm == SM2_SM3:
        digest = hashlib.new("sm3", (za or sm2_za(public_key)) + sts).digest()
    else:
        digest = hashlib.sha256(sts).digest()
    lib = _libcrypto()
    ctx = lib.EVP_PKEY_CTX_new_from_pkey(None, _evp_public_key(algorithm, public_key), None)
    if not ctx:
        raise MemoryError("EVP_PKEY_CTX_new_from_pkey")
    try:
        return (lib.EVP_PKEY_verify_init(ctx) == 1
                and lib.EVP_PKEY_verify(ctx, signature, len(signature), digest, len(digest)) == 1)
    finally:
        lib.EVP_PKEY_CTX_free(ctx)


_HEX_RE = re.compile(r"(?:[0-9a-f]{2})+")


def verify(algorithm: str, ak: str, sk: str, sts: bytes, signature: str, scope: str | None = None) -> bool:
    """Does `signature` (the Authorization's Signature=, lower-case hex) sign `sts` with AK/SK?"""
    if algorithm in _CURVES:
        if not _HEX_RE.fullmatch(signature):
            return False
        return ec_verify(algorithm, ec_public_key(algorithm, ak, sk), sts, bytes.fromhex(signature))
    expected = hmac_signature(algorithm, ak, sk, sts, scope)
    # Compare bytes: compare_digest() refuses non-ASCII str, and the header may hold anything.
    return hmac.compare_digest(expected.encode(), signature.encode("latin-1", "replace"))


_AUTH_RE = re.compile(r"^(%s)\s+(.*)$" % "|".join(map(re.escape, ALGORITHMS)), re.S)
_SCOPE_RE = re.compile(r"\d{8}/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+")


def parse_authorization(value: str) -> dict[str, str] | None:
    """'ALG Access=AK, SignedHeaders=a;b, Signature=hex' (V11: Credential=AK/scope instead of
    Access=) -> {"algorithm", "Access", "SignedHeaders", "Signature"[, "scope"]}, or None."""
    m = _AUTH_RE.match(value.strip())
    if not m:
        return None
    fields = {"algorithm": m.group(1)}
    for part in m.group(2).split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    if fields["algorithm"] == V11:
        if "Access" in fields:
            return None
        fields["Access"], _, fields["scope"] = fields.pop("Credential", "").partition("/")
        if not _SCOPE_RE.fullmatch(fields["scope"]):
            return None
    elif "Credential" in fields:
        return None
    if not all(fields.get(k) for k in ("Access", "SignedHeaders", "Signature")):
        return None
    return fields
