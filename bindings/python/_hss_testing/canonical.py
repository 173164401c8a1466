"""The canonical request every signing algorithm signs (hss-emulator(1), SIGNATURES), rebuilt from
what the server received. This project's own implementation of the official SDKs' rules.

Everything works on bytes: the server sees raw request bytes, and header values may be UTF-8
(http.server hands them over as latin-1 strings, which are mapped back to bytes).
"""

from __future__ import annotations

import urllib.parse

from . import signing

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")

# Constants, not computed: a Python whose hashlib has no SM3 still verifies the other algorithms.
EMPTY_BODY_HASH = {alg: "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"  # SM3("")
                   if signing.digest_name(alg) == "sm3" else
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256("")
                   for alg in signing.ALGORITHMS}


def percent_encode(data: bytes) -> str:
    """Keep A-Z a-z 0-9 - _ . ~, everything else %XY (upper-case hex)."""
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in data)


def percent_decode(data: bytes) -> bytes:
    """Decode %XY; a '%' not followed by two hex digits stays literal. '+' stays '+'
    (the signing rules never use '+' for space, so a literal '+' means '+')."""
    return urllib.parse.unquote_to_bytes(data)


def canonical_uri(raw_path: bytes) -> str:
    """Decode the path, split on '/', re-encode each segment, join, append '/'."""
    uri = "/".join(percent_encode(seg) for seg in percent_decode(raw_path).split(b"/"))
    return uri if uri.endswith("/") else uri + "/"


def parse_query(raw_query: bytes) -> list[tuple[bytes, bytes]]:
    """Raw query -> decoded (name, value) pairs, in received order. 'a' alone means a=''."""
    pairs = []
    for piece in raw_query.split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            pairs.append((percent_decode(name), percent_decode(value)))
    return pairs


def canonical_query(pairs: list[tuple[bytes, bytes]]) -> str:
    # Sort on the DECODED values: UTF-8 byte order == code point order, which is how the
    # Python SDK sorts its (name, value) string tuples. (Sorting the encoded form would
    # differ, e.g. '~' vs '%C3%A9', but only when names repeat.)
    return "&".join("%s=%s" % (percent_encode(n), percent_encode(v)) for n, v in sorted(pairs))


def trim_header_value(value: bytes) -> bytes:
    # Only SP/HTAB: the raw bytes may be UTF-8 and e.g. 'à' ends in 0xA0, which a
    # Unicode-aware strip() of the latin-1 view would eat.
    return value.strip(b" \t")


def build_canonical_request(method: str, raw_path: bytes, raw_query: bytes,
                            signed_headers: str, header_values: dict[str, bytes],
                            body_hash: str) -> bytes:
    """header_values: lower-case name -> raw value, for every name in signed_headers."""
    lines = b"".join(name.encode("latin-1") + b":" + trim_header_value(header_values[name.lower()]) + b"\n"
                     for name in signed_headers.split(";"))
    return b"\n".join([
        method.upper().encode("ascii"),
        canonical_uri(raw_path).encode("ascii"),
        canonical_query(parse_query(raw_query)).encode("ascii"),
        lines,  # ends in '\n', so a blank line precedes SignedHeaders
        signed_headers.encode("latin-1"),
        body_hash.encode("ascii"),
    ])


def payload_hash(algorithm: str, body: bytes, declared: list[bytes]) -> str:
    """The official signer's rule: an empty body hashes as empty; else the algorithm's payload
    header (X-Sdk-Content-Sha256/-Sm3: UNSIGNED-PAYLOAD), if sent, stands in for the hash."""
    if not body:
        return EMPTY_BODY_HASH[algorithm]
    return declared[0].decode("latin-1") if declared else signing.hash_hex(algorithm, body)
