"""The identity services' handlers (their state and rules: identity.py; their methods and paths:
routes.py). Each is handler(h, request, path) for the server's request handler `h`. Error messages
name fields, never their values.
"""

from __future__ import annotations

import datetime as _dt
import hmac
import json

from . import auth, canonical
from .identity import (
    DEFAULT_EXPIRES_IN,
    EXPIRY_FORMATS,
    METADATA_TTL_RANGE,
    OIDC_FIELDS,
    UNSCOPED_TOKEN_SECONDS,
    TemporaryCredential,
    utcnow,
)

IAM_SIGNED_HEADERS = "host;user-agent;x-sdk-date"  # exactly what the official SDK signs for IAM


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


def _text(h, status: int, text: str):
    h.send_answer(status, text.encode("utf-8"), "text/plain")


def _unauthorized(h, why: str):
    h.send_error_json(401, "IAM.0001", "The request you have made requires authentication: " + why)


def _json_body(h, request: auth.Incoming) -> dict | None:
    """The request's JSON object, or None after answering 400."""
    if not (request.header_text("Content-Type") or "").lower().startswith("application/json"):
        h.send_error_json(400, "EMU.1400", "Content-Type must be application/json")
        return None
    try:
        obj = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        obj = None
    if not isinstance(obj, dict):
        h.send_error_json(400, "EMU.1400", "the body must be a JSON object")
        return None
    return obj


def _send_credential(h, status: int, route: str, cred: TemporaryCredential):
    h.send_json(status, h.server.identity.credential_body(route, cred))


# -- IAM KeystoneListProjects, as the SDK's project-id discovery uses it --

def iam_projects(h, request: auth.Incoming, path: dict):
    ident = h.server.identity
    h.answer_headers.append(("X-IAM-Trace-Id", ident.new_trace_id()))
    try:
        credential = h.authenticate(request)
        if credential["auth"] == "aksk":
            expected = IAM_SIGNED_HEADERS + (";x-security-token" if "X-Security-Token" in request.headers else "")
            if credential["signed_headers"] != expected:
                raise auth.AuthError(401, "APIGW.0301", "Incorrect IAM authentication information: "
                                     "SignedHeaders must be %s for IAM" % expected)
    except auth.AuthError as e:
        h.send_error_json(e.status, e.code, e.msg)
        return
    names = [v for n, v in canonical.parse_query(request.raw_query) if n == b"name"]
    if len(names) != 1:
        h.send_error_json(400, "EMU.1400", "exactly one query parameter name=<region> is required")
        return
    region = names[0].decode("utf-8", "replace")
    base = "http://%s/v3/projects" % (request.header_text("Host") or "iam.emulator.invalid")
    projects = [{"id": pid, "name": region, "domain_id": ident.domain_id, "parent_id": ident.domain_id,
                 "is_domain": False, "enabled": True, "description": "", "links": {"self": "%s/%s" % (base, pid)}}
                for pid in ident.projects_of(region)]
    links = {"self": "%s?name=%s" % (base, canonical.percent_encode(names[0])), "previous": None, "next": None}
    h.send_json(200, {"links": links, "projects": projects})


# -- ECS/BMS metadata (text errors: the SDK copies the body text into its error) --

def metadata_token(h, request: auth.Incoming, path: dict):
    ident = h.server.identity
    if ident.metadata_token == "unsupported":
        _text(h, 404, "Not Found")
        return
    ttl = request.header_text("X-Metadata-Token-Ttl-Seconds")
    if ttl is None or not ttl.strip().isdigit() or not (METADATA_TTL_RANGE[0] <= int(ttl) <= METADATA_TTL_RANGE[1]):
        _text(h, 400, "X-Metadata-Token-Ttl-Seconds must be an integer in %d-%d" % METADATA_TTL_RANGE)
        return
    _text(h, 200, ident.new_metadata_token(int(ttl)))


def metadata_securitykey(h, request: auth.Incoming, path: dict):
    ident = h.server.identity
    token = request.header_text("X-Metadata-Token")
    if ident.metadata_token != "unsupported" and (token is not None or ident.metadata_token == "required"):
        if not ident.metadata_token_valid(token):
            _text(h, 401, "Unauthorized: the metadata token is missing, invalid or expired")
            return
    _send_credential(h, 200, "metadata_securitykey", ident.mint("metadata_securitykey", DEFAULT_EXPIRES_IN))


# -- CCE pod identity --

def pod_identity(h, request: auth.Incoming, path: dict):
    ident = h.server.identity
    token = request.header_text("Authorization")
    if token is None or not _same(token, ident.pod_token):
        _unauthorized(h, "the Authorization header is not the pod's token")
        return
    if _json_body(h, request) is None:
        return
    _send_credential(h, 200, "pod_identity", ident.mint("pod_identity", DEFAULT_EXPIRES_IN))


# -- STS assume-with-oidc (unsigned) --

def sts_oidc(h, request: auth.Incoming, path: dict):
    ident = h.server.identity
    req = _json_body(h, request)
    if req is None:
        return
    unknown = sorted(set(req) - set(OIDC_FIELDS))
    if unknown:
        h.send_error_json(400, "EMU.1400", "unknown field(s): %s" % ", ".join(unknown)[:200])
        return
    for name in OIDC_FIELDS:
        got, want = req.get(name), ident.oidc.get(name)
        if name == "id_token":
            if not isinstance(got, str) or not isinstance(want, str) or not _same(got, want):
                _unauthorized(h, "the id_token is not accepted")
                return
        elif got != want or type(got) is not type(want):  # 3600 is not "3600"
            h.send_error_json(400, "EMU.1400", "field %s is %s" % (
                name, "missing" if name not in req else "not the expected value"))
            return
    _send_credential(h, 200, "sts_oidc", ident.mint("sts_oidc", req["duration_seconds"]))


# -- IAM federation (unsigned) --

def iam_id_token(h, request: auth.Incoming, path: dict):
    ident = h.server.identity
    req = _json_body(h, request)
    if req is None:
        return
    idp = request.header_text("X-Idp-Id")
    if idp is None or not _same(idp, ident.idp_id):
        _unauthorized(h, "X-Idp-Id is missing or unknown")
        return
    id_token = ((req.get("auth") or {}).get("id_token") or {}).get("id")
    if not isinstance(id_token, str) or not _same(id_token, ident.id_token):
        _unauthorized(h, "auth.id_token.id is not accepted")
        return
    now = utcnow().replace(microsecond=0)
    token = {"token": {
        "methods": ["mapped"],
        "issued_at": EXPIRY_FORMATS["micro"](now),
        "expires_at": EXPIRY_FORMATS["micro"](now + _dt.timedelta(seconds=UNSCOPED_TOKEN_SECONDS)),
        "user": {"id": "emulator-federated-user", "name": "emulator-federated-user",
                 "domain": {"id": ident.domain_id, "name": "emulator-domain"},
                 "OS-FEDERATION": {"identity_provider": {"id": ident.idp_id},
                                   "protocol": {"id": "oidc"}, "groups": []}},
    }}
    h.answer_headers.append(("X-Subject-Token", ident.new_unscoped_token()))
    h.send_json(201, token)


def iam_securitytokens(h, request: auth.Incoming, path: dict):
    ident = h.server.identity
    req = _json_body(h, request)
    if req is None:
        return
    identity = (req.get("auth") or {}).get("identity") or {}
    token = identity.get("token") or {}
    if identity.get("methods") != ["token"]:
        h.send_error_json(400, "EMU.1400", 'auth.identity.methods must be ["token"]')
        return
    if not ident.unscoped_token_valid(token.get("id") if isinstance(token.get("id"), str) else None):
        _unauthorized(h, "auth.identity.token.id is not a valid token")
        return
    duration = token.get("duration_seconds", 900)
    if type(duration) is not int or not 900 <= duration <= 86400:
        h.send_error_json(400, "EMU.1400", "duration_seconds must be an integer in 900-86400")
        return
    _send_credential(h, 201, "iam_securitytokens", ident.mint("iam_securitytokens", duration))
