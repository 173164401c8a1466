"""The state of the emulator's identity services (hss-emulator(1), IDENTITY SERVICES): everything
the credential chain and project-id discovery talk to, served on the HSS emulator's one port (their
handlers: identity_routes.py). Shapes and rules follow the official Python SDK 3.1.219
(huaweicloudsdkcore: auth/provider.py, auth/internal.py):

    GET  /v3/projects?name=<region>          IAM KeystoneListProjects, AK/SK-signed with exactly
                                             host;user-agent;x-sdk-date[;x-security-token] (or
                                             X-Auth-Token); errors are JSON bodies, plus
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
Emulator(identity={...}) / `--identity JSON`) and the state. Python standard library only.

The answers' shapes are the SDK's; error codes and texts are the emulator's own choice except where
noted (APIGW.* mimic the gateway; EMU.* are ours; IAM.0001 is IAM's "requires authentication").
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
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

# The identity routes' names (their methods and paths: routes.py); also the keys of the hit counters.
ROUTE_NAMES = ("iam_projects", "metadata_token", "metadata_securitykey", "pod_identity", "sts_oidc", "iam_id_token",
               "iam_securitytokens")
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

    State: issued (every TemporaryCredential, oldest first), last_trace_id; methods expire(),
    expire_metadata_tokens(). (A route's failures are scripted like any route's: Emulator.script.)"""

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
        self.last_trace_id: str | None = None
        self.configure(**settings)

    def configure(self, **settings) -> "Identity":
        for name, value in settings.items():
            if name not in SETTINGS:
                raise ValueError("unknown identity setting: %s" % name)
            setattr(self, name, value)
        return self

    # -- test controls --

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
