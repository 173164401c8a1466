"""Who sent a request: the API gateway's checks of an AK/SK signature (any of the five algorithms)
or an X-Auth-Token, in the gateway's order and with its error codes (hss-emulator(1), AUTHENTICATION).
"""

from __future__ import annotations

import datetime as _dt
import hmac
import re
from dataclasses import dataclass
from email.message import Message

from . import canonical, signing

MAX_CLOCK_SKEW = _dt.timedelta(minutes=15)
MAX_TOKEN_LEN = 32768  # the API page's limit of X-Auth-Token


class AuthError(Exception):
    def __init__(self, status: int, code: str, msg: str):
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


@dataclass
class Incoming:
    """One request as received: the raw request target's path and query, the headers, the body."""

    method: str
    raw_path: bytes
    raw_query: bytes
    headers: Message
    body: bytes

    def header_bytes(self, name: str) -> list[bytes]:
        # http.server decodes header bytes as latin-1; map back to the raw bytes.
        return [v.encode("latin-1", "replace") for v in (self.headers.get_all(name) or [])]

    def header_text(self, name: str) -> str | None:
        values = self.header_bytes(name)
        return values[0].decode("utf-8", "replace") if values else None


def authenticate(request: Incoming, server) -> dict:
    """How the request is authenticated ({"auth": "aksk"|"token", "access_key", "signed_headers",
    "algorithm", "scope", "temporary"}), or AuthError. An Authorization header wins over a token."""
    authorization = request.headers.get_all("Authorization") or []
    tokens = request.headers.get_all("X-Auth-Token") or []
    if authorization:
        return _verify_aksk(request, server, authorization)
    if tokens:
        if len(tokens) == 1 and 0 < len(tokens[0]) <= MAX_TOKEN_LEN and any(
                hmac.compare_digest(tokens[0].encode("latin-1", "replace"), t.encode("utf-8"))
                for t in server.tokens):
            return {"auth": "token", "signed_headers": None, "access_key": None, "temporary": False,
                    "algorithm": None, "scope": None}
        raise AuthError(401, "APIGW.0307", "The token must be updated.")
    raise AuthError(401, "APIGW.0301", "Incorrect IAM authentication information: Authorization not found in header")


def _fail(msg: str, code: str = "APIGW.0301"):
    raise AuthError(401, code, "Incorrect IAM authentication information: " + msg)


def _sdk_date(request: Incoming, server) -> str:
    """X-Sdk-Date, checked against the server's clock (APIGW.0303)."""
    dates = request.header_bytes("X-Sdk-Date")
    if not dates:
        _fail("X-Sdk-Date not found in header", "APIGW.0303")
    sdk_date = canonical.trim_header_value(dates[0]).decode("latin-1")
    try:
        if len(dates) != 1 or not re.fullmatch(r"\d{8}T\d{6}Z", sdk_date):
            raise ValueError
        when = _dt.datetime.strptime(sdk_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        _fail("X-Sdk-Date is malformed, expected YYYYMMDDTHHMMSSZ", "APIGW.0303")
    if abs(server.now() - when) > MAX_CLOCK_SKEW:
        _fail("signature expired: X-Sdk-Date differs from the server time by more than 15 minutes", "APIGW.0303")
    return sdk_date


def _verify_aksk(request: Incoming, server, authorization: list[str]) -> dict:
    fields = signing.parse_authorization(authorization[0]) if len(authorization) == 1 else None
    if fields is None:
        _fail("unsupported or malformed Authorization header (expected one of %s)" % ", ".join(signing.ALGORITHMS))
    algorithm, scope = fields["algorithm"], fields.get("scope")
    sdk_date = _sdk_date(request, server)
    if scope is not None and not scope.startswith(sdk_date[:8] + "/"):
        _fail("the credential scope's date is not X-Sdk-Date's")

    ak = fields["Access"]
    sk = server.credentials.get(ak)
    temporary = None
    if sk is None:  # perhaps minted by an identity route
        temporary = server.identity.temporary(ak)
        if temporary is None:
            _fail("access key not found")
        sk = temporary.sk

    signed = fields["SignedHeaders"]
    names = [n.lower() for n in signed.split(";")]
    for required in ("host", "x-sdk-date"):
        if required not in names:
            _fail("%s must be a signed header" % required)
    if request.headers.get("X-Security-Token") is not None and "x-security-token" not in names:
        _fail("x-security-token must be a signed header")
    values = {}
    for name in names:
        got = request.header_bytes(name)
        if len(got) != 1:
            _fail("signed header %s is %s" % (name, "missing" if not got else "repeated"))
        values[name] = got[0]
    if temporary is not None:
        token = request.header_bytes("X-Security-Token")
        if len(token) != 1 or not hmac.compare_digest(canonical.trim_header_value(token[0]), temporary.token.encode()):
            _fail("the security token is missing or not the one of this temporary access key")
        if temporary.expired():
            _fail("the temporary access key has expired")

    body_hash = canonical.payload_hash(algorithm, request.body, request.header_bytes(signing.content_header(algorithm)))
    creq = canonical.build_canonical_request(request.method, request.raw_path, request.raw_query, signed, values,
                                             body_hash)
    sts = signing.string_to_sign(sdk_date, creq, algorithm, scope)
    if not signing.verify(algorithm, ak, sk, sts, fields["Signature"].strip(), scope):
        # Like the real gateway: echo the canonical request it computed (for this API it contains
        # the encoded password: client libraries must redact this message).
        raise AuthError(401, "APIGW.0301",
                        "Verify aksk signature fail, canonicalRequest: " + creq.decode("utf-8", "replace"))
    return {"auth": "aksk", "signed_headers": signed, "access_key": ak, "temporary": temporary is not None,
            "algorithm": algorithm, "scope": scope}
