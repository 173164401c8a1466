"""The emulator's identity services (issue 12): everything the credential chain and project-id
discovery talk to, served on the HSS emulator's one port. Shapes and rules follow the official
Python SDK 3.1.219 (docs: official-sdk/credentials.md §2.1-2.5, §3, §5):

    GET  /v3/projects?name=<region>          IAM KeystoneListProjects, AK/SK-signed with exactly
                                             host;user-agent;x-sdk-date[;x-security-token] (or
                                             X-Auth-Token), checked in hss_emulator.py by the HSS
                                             route's verifier; errors are its JSON bodies, plus
                                             X-IAM-Trace-Id on every answer
    PUT  /meta-data/latest/api/token         ECS metadata session token (needs X-Metadata-Token-Ttl-Seconds)
    GET  /openstack/latest/securitykey       ECS metadata temporary credential (X-Metadata-Token)
    POST /pod-identity/credentials           CCE pod identity (Authorization: <token file content>, body {})
    POST /v5/agencies/assume-with-oidc       STS, unsigned, JSON body checked field by field
    POST /v3.0/OS-AUTH/id-token/tokens       IAM federation: id token + X-Idp-Id -> X-Subject-Token
    POST /v3.0/OS-CREDENTIAL/securitytokens  IAM federation: that token -> temporary credential

Every route that issues a temporary credential mints a fresh AK/SK/security token; the HSS and IAM
routes then accept it (signature with its SK, X-Security-Token must be its token) until it expires.

`Identity` holds the settings (plain attributes, changed by tests at any time, or passed as
start_emulator(identity={...}) / `--identity JSON`) and the state. Python 3.11 standard library only.

The answers' shapes are the SDK's; error codes and texts are the emulator's own choice except where
noted (APIGW.* mimic the gateway; EMU.* are ours; IAM.0001 is IAM's "requires authentication").
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from dataclasses import dataclass

IAM_PROJECTS_PATH = "/v3/projects"
METADATA_TOKEN_PATH = "/meta-data/latest/api/token"
METADATA_SECURITYKEY_PATH = "/openstack/latest/securitykey"
POD_IDENTITY_PATH = "/pod-identity/credentials"
STS_OIDC_PATH = "/v5/agencies/assume-with-oidc"
IAM_ID_TOKEN_PATH = "/v3.0/OS-AUTH/id-token/tokens"
IAM_SECURITYTOKENS_PATH = "/v3.0/OS-CREDENTIAL/securitytokens"

# (method, path) -> route name; the names are also the keys of the emulator's hit counters.
ROUTES = {
    ("GET", IAM_PROJECTS_PATH): "iam_projects",
    ("PUT", METADATA_TOKEN_PATH): "metadata_token",
    ("GET", METADATA_SECURITYKEY_PATH): "metadata_securitykey",
    ("POST", POD_IDENTITY_PATH): "pod_identity",
    ("POST", STS_OIDC_PATH): "sts_oidc",
    ("POST", IAM_ID_TOKEN_PATH): "iam_id_token",
    ("POST", IAM_SECURITYTOKENS_PATH): "iam_securitytokens",
}
MINTING_ROUTES = ("metadata_securitykey", "pod_identity", "sts_oidc", "iam_securitytokens")

DOMAIN_ID = "0e6f9c1d2b3a4f5e8d7c6b5a49382716"
POD_TOKEN = "EMULATOR-POD-TOKEN"
IDP_ID = "emulator-idp"
ID_TOKEN = "EMULATOR-ID-TOKEN"
# What STS expects in the assume-with-oidc body (the SDK's defaults for session name and
# duration); "policy" / "policy_ids" must be absent unless set here.
DEFAULT_OIDC = {
    "provider_urn": "iam::0e6f9c1d2b3a4f5e8d7c6b5a49382716:identityprovider:emulator-oidc",
    "agency_urn": "iam::0e6f9c1d2b3a4f5e8d7c6b5a49382716:agency:emulator-agency",
    "agency_session_name": "oidc-sts-session",
    "id_token": ID_TOKEN,
    "duration_seconds": 3600,
}
OIDC_FIELDS = ("provider_urn", "agency_urn", "agency_session_name", "id_token", "duration_seconds",
               "policy", "policy_ids")
DEFAULT_EXPIRES_IN = 3600  # metadata and pod identity; STS and IAM use the requested duration
UNSCOPED_TOKEN_SECONDS = 86400
METADATA_TTL_RANGE = (1, 21600)
AGENCY_ERROR = "Please configure Cloud Service Agency first"  # the SDK does not retry on this 401

# How a temporary credential is written (the SDK's parser accepts all three, §3.4).
SHAPES = {
    "credential": ("credential", "access", "secret", "securitytoken", "expires_at"),
    "credentials-camel": ("credentials", "accessKeyId", "secretAccessKey", "securityToken", "expiration"),
    "top-snake": (None, "access_key_id", "secret_access_key", "security_token", "expiration"),
}
DEFAULT_SHAPES = {"metadata_securitykey": "credential", "pod_identity": "top-snake",
                  "sts_oidc": "credentials-camel", "iam_securitytokens": "credential"}

# Expiry timestamps (UTC, always a whole second). The SDK parses only a 1-6 digit fraction + Z.
EXPIRY_FORMATS = {
    "micro": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),     # 2026-01-02T03:04:05.000000Z
    "milli": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",  # ...05.000Z
    "none": lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"),         # ...05Z
}

SETTINGS = ("projects", "domain_id", "trace_id", "expires_in", "expiry_format", "shapes",
            "metadata_token", "pod_token", "oidc", "idp_id", "id_token")

_AK_ALPHABET = string.ascii_uppercase + string.digits


def default_project_id(region: str) -> str:
    """The one project id IAM knows for a region not listed in Identity.projects (32 hex, per region)."""
    return hashlib.md5(("emulator-project:" + region).encode("utf-8")).hexdigest()


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


@dataclass
class TemporaryCredential:
    ak: str
    sk: str
    token: str
    expires_at: _dt.datetime  # UTC
    route: str                # which route minted it

    def expired(self) -> bool:
        return utcnow() >= self.expires_at


class Identity:
    """Settings and state of the identity routes. Settings (plain attributes):

    projects       region -> list of project ids IAM answers; a region not listed -> [default_project_id(region)]
    domain_id      the projects' domain_id
    trace_id       X-IAM-Trace-Id of every IAM answer; None (default): a fresh one each time
    expires_in     seconds from now until minted credentials expire (may be negative); None: 3600 for
                   metadata and pod identity, the requested duration_seconds for STS and IAM
    expiry_format  "micro" (.000000Z, default), "milli" (.000Z), "none" (no fraction), or a
                   callable(datetime) -> str
    shapes         route -> key of SHAPES, overriding DEFAULT_SHAPES (iam_securitytokens must stay
                   "credential": the SDK reads only that one there)
    metadata_token "required" (default: securitykey needs a valid X-Metadata-Token), "optional" (a
                   token is checked if sent), "unsupported" (token route answers 404: IMDSv1 only)
    pod_token      the Authorization value pod identity accepts (the token file's content)
    oidc           the exact assume-with-oidc body STS accepts (DEFAULT_OIDC; add policy/policy_ids)
    idp_id, id_token   what IAM federation accepts

    State: issued (every TemporaryCredential, oldest first), last_trace_id; methods fail(),
    clear_failures(), expire(), expire_metadata_tokens()."""

    def __init__(self, **settings):
        self.projects: dict[str, list[str]] = {}
        self.domain_id = DOMAIN_ID
        self.trace_id: str | None = None
        self.expires_in: float | None = None
        self.expiry_format = "micro"
        self.shapes: dict[str, str] = {}
        self.metadata_token = "required"
        self.pod_token = POD_TOKEN
        self.oidc = dict(DEFAULT_OIDC)
        self.idp_id = IDP_ID
        self.id_token = ID_TOKEN

        self._lock = threading.Lock()
        self.issued: list[TemporaryCredential] = []
        self._by_ak: dict[str, TemporaryCredential] = {}
        self._metadata_tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._unscoped: dict[str, float] = {}         # federation token -> monotonic expiry
        self._failures: dict[str, list] = {}          # route -> [status, body, times left or None]
        self.last_trace_id: str | None = None
        self.configure(**settings)

    def configure(self, **settings) -> "Identity":
        for name, value in settings.items():
            if name not in SETTINGS:
                raise ValueError("unknown identity setting: %s" % name)
            setattr(self, name, value)
        return self

    # -- test controls --

    def fail(self, route: str, status: int, body: bytes | str | dict | None = None, times: int | None = None):
        """Make `route` answer `status` (with `body`, default a JSON error) instead of its normal
        answer: always (times=None) or for the next `times` requests. Checked before anything else."""
        if route not in ROUTES.values():
            raise ValueError("unknown route: %s" % route)
        with self._lock:
            self._failures[route] = [status, body, times]

    def clear_failures(self):
        with self._lock:
            self._failures.clear()

    def take_failure(self, route: str):
        """(status, body) if this request must fail, else None."""
        with self._lock:
            failure = self._failures.get(route)
            if failure is None:
                return None
            status, body, times = failure
            if times is not None:
                if times <= 1:
                    del self._failures[route]
                else:
                    failure[2] = times - 1
        return status, body

    def expire(self, ak: str | None = None):
        """Make one issued credential (or all) expired now: the HSS and IAM routes refuse them."""
        with self._lock:
            for cred in self.issued:
                if ak is None or cred.ak == ak:
                    cred.expires_at = utcnow() - _dt.timedelta(seconds=1)

    def expire_metadata_tokens(self):
        """Forget every metadata session token: the next securitykey GET with one gets a 401."""
        with self._lock:
            self._metadata_tokens.clear()

    # -- credentials --

    def mint(self, route: str, default_seconds: float) -> TemporaryCredential:
        seconds = default_seconds if self.expires_in is None else self.expires_in
        expires = (utcnow() + _dt.timedelta(seconds=seconds)).replace(microsecond=0)
        cred = TemporaryCredential(
            ak="EMUTMP" + "".join(secrets.choice(_AK_ALPHABET) for _ in range(14)),
            sk=secrets.token_urlsafe(30),
            # Long and with + / =, like the real tokens.
            token=base64.b64encode(secrets.token_bytes(600)).decode("ascii"),
            expires_at=expires, route=route)
        with self._lock:
            self.issued.append(cred)
            self._by_ak[cred.ak] = cred
        return cred

    def temporary(self, ak: str) -> TemporaryCredential | None:
        with self._lock:
            return self._by_ak.get(ak)

    def format_expiry(self, when: _dt.datetime) -> str:
        fmt = self.expiry_format
        return fmt(when) if callable(fmt) else EXPIRY_FORMATS[fmt](when)

    def credential_body(self, route: str, cred: TemporaryCredential) -> dict:
        wrapper, ak, sk, token, expiry = SHAPES[self.shapes.get(route, DEFAULT_SHAPES[route])]
        fields = {ak: cred.ak, sk: cred.sk, token: cred.token, expiry: self.format_expiry(cred.expires_at)}
        return {wrapper: fields} if wrapper else fields

    # -- IAM --

    def projects_of(self, region: str) -> list[str]:
        ids = self.projects.get(region)
        return [default_project_id(region)] if ids is None else list(ids)

    def new_trace_id(self) -> str:
        trace = self.trace_id or secrets.token_hex(16)
        self.last_trace_id = trace
        return trace

    # -- session tokens (metadata, federation) --

    def _new_token(self, table: dict, prefix: str, seconds: float) -> str:
        token = prefix + secrets.token_urlsafe(32)
        with self._lock:
            table[token] = time.monotonic() + seconds
        return token

    def _token_valid(self, table: dict, token: str | None) -> bool:
        with self._lock:
            expiry = table.get(token) if token else None
        return expiry is not None and time.monotonic() < expiry

    def new_metadata_token(self, ttl: int) -> str:
        return self._new_token(self._metadata_tokens, "EMU-METADATA-", ttl)

    def metadata_token_valid(self, token: str | None) -> bool:
        return self._token_valid(self._metadata_tokens, token)

    def new_unscoped_token(self) -> str:
        return self._new_token(self._unscoped, "EMU-UNSCOPED-", UNSCOPED_TOKEN_SECONDS)

    def unscoped_token_valid(self, token: str | None) -> bool:
        return self._token_valid(self._unscoped, token)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


class IdentityRoutes:
    """Mixin of EmulatorHandler: the unsigned identity routes (the signed IAM one is in
    hss_emulator.py, next to the verifier). Uses the handler's _send, _send_json, _send_error_json,
    _header_text and self.server.identity. Error messages name fields, never their values."""

    def _reply(self, status: int, obj: dict, headers=()):
        self._send(status, json.dumps(obj).encode("utf-8"), "application/json", list(headers))

    def _text(self, status: int, text: str):
        self._send(status, text.encode("utf-8"), "text/plain")

    def _unauthorized(self, why: str):
        self._send_error_json(401, "IAM.0001", "The request you have made requires authentication: " + why)

    def _json_body(self, body: bytes) -> dict | None:
        """The request's JSON object, or None after answering 400."""
        ctype = (self._header_text("Content-Type") or "").lower()
        if not ctype.startswith("application/json"):
            self._send_error_json(400, "EMU.1400", "Content-Type must be application/json")
            return None
        try:
            obj = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            obj = None
        if not isinstance(obj, dict):
            self._send_error_json(400, "EMU.1400", "the body must be a JSON object")
            return None
        return obj

    def _send_forced_failure(self, route: str, status: int, body, headers=()):
        if body is None:
            body = {"error_code": "EMU.%04d" % status, "error_msg": "failure forced by the test",
                    "request_id": self.request_id}
        if isinstance(body, dict):
            self._reply(status, body, headers)
        else:
            self._send(status, body.encode("utf-8") if isinstance(body, str) else body,
                       "text/plain", list(headers))

    def _send_credential(self, status: int, route: str, cred: TemporaryCredential):
        self._reply(status, self.server.identity.credential_body(route, cred))

    # -- ECS/BMS metadata (text errors: the SDK copies the body text into its error) --

    def _serve_metadata_token(self, raw_query: bytes, body: bytes):
        ident = self.server.identity
        if ident.metadata_token == "unsupported":
            self._text(404, "Not Found")
            return
        ttl = self._header_text("X-Metadata-Token-Ttl-Seconds")
        if ttl is None or not ttl.strip().isdigit() or not (
                METADATA_TTL_RANGE[0] <= int(ttl) <= METADATA_TTL_RANGE[1]):
            self._text(400, "X-Metadata-Token-Ttl-Seconds must be an integer in %d-%d" % METADATA_TTL_RANGE)
            return
        self._text(200, ident.new_metadata_token(int(ttl)))

    def _serve_metadata_securitykey(self, raw_query: bytes, body: bytes):
        ident = self.server.identity
        token = self._header_text("X-Metadata-Token")
        if ident.metadata_token != "unsupported" and (token is not None or ident.metadata_token == "required"):
            if not ident.metadata_token_valid(token):
                self._text(401, "Unauthorized: the metadata token is missing, invalid or expired")
                return
        self._send_credential(200, "metadata_securitykey", ident.mint("metadata_securitykey", DEFAULT_EXPIRES_IN))

    # -- CCE pod identity --

    def _serve_pod_identity(self, raw_query: bytes, body: bytes):
        ident = self.server.identity
        token = self._header_text("Authorization")
        if token is None or not _same(token, ident.pod_token):
            self._unauthorized("the Authorization header is not the pod's token")
            return
        if self._json_body(body) is None:
            return
        self._send_credential(200, "pod_identity", ident.mint("pod_identity", DEFAULT_EXPIRES_IN))

    # -- STS assume-with-oidc (unsigned) --

    def _serve_sts_oidc(self, raw_query: bytes, body: bytes):
        ident = self.server.identity
        req = self._json_body(body)
        if req is None:
            return
        unknown = sorted(set(req) - set(OIDC_FIELDS))
        if unknown:
            self._send_error_json(400, "EMU.1400", "unknown field(s): %s" % ", ".join(unknown)[:200])
            return
        for name in OIDC_FIELDS:
            got, want = req.get(name), ident.oidc.get(name)
            if name == "id_token":
                if not isinstance(got, str) or not isinstance(want, str) or not _same(got, want):
                    self._unauthorized("the id_token is not accepted")
                    return
            elif got != want or type(got) is not type(want):  # 3600 is not "3600"
                self._send_error_json(400, "EMU.1400", "field %s is %s" % (
                    name, "missing" if name not in req else "not the expected value"))
                return
        self._send_credential(200, "sts_oidc", ident.mint("sts_oidc", req["duration_seconds"]))

    # -- IAM federation (unsigned) --

    def _serve_iam_id_token(self, raw_query: bytes, body: bytes):
        ident = self.server.identity
        req = self._json_body(body)
        if req is None:
            return
        idp = self._header_text("X-Idp-Id")
        if idp is None or not _same(idp, ident.idp_id):
            self._unauthorized("X-Idp-Id is missing or unknown")
            return
        id_token = ((req.get("auth") or {}).get("id_token") or {}).get("id")
        if not isinstance(id_token, str) or not _same(id_token, ident.id_token):
            self._unauthorized("auth.id_token.id is not accepted")
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
        self._reply(201, token, [("X-Subject-Token", ident.new_unscoped_token())])

    def _serve_iam_securitytokens(self, raw_query: bytes, body: bytes):
        ident = self.server.identity
        req = self._json_body(body)
        if req is None:
            return
        identity = (req.get("auth") or {}).get("identity") or {}
        token = identity.get("token") or {}
        if identity.get("methods") != ["token"]:
            self._send_error_json(400, "EMU.1400", 'auth.identity.methods must be ["token"]')
            return
        if not ident.unscoped_token_valid(token.get("id") if isinstance(token.get("id"), str) else None):
            self._unauthorized("auth.identity.token.id is not a valid token")
            return
        duration = token.get("duration_seconds", 900)
        if type(duration) is not int or not 900 <= duration <= 86400:
            self._send_error_json(400, "EMU.1400", "duration_seconds must be an integer in 900-86400")
            return
        self._send_credential(201, "iam_securitytokens", ident.mint("iam_securitytokens", duration))
