"""The emulator's route table: every (method, path template) it serves, its name (the key of its hit
counter and of Emulator.script) and its handler. Any other method or path is 404 APIGW.0101, before
authentication, as the gateway answers. An operation the emulator learns is one row here and its
handler (hss_api.py for HSS's).

A template's `{name}` matches one path segment as received (possibly empty); the handler gets it
percent-decoded, as bytes, in `path[name]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import hss_api, identity, identity_routes
from .canonical import percent_decode


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    template: str
    serve: Callable  # serve(handler, request: auth.Incoming, path: dict[str, bytes])

    def match(self, method: str, raw_path: bytes) -> dict | None:
        """The template's parameters if this route serves the request, else None."""
        if method != self.method:
            return None
        want, got = self.template.split("/"), raw_path.split(b"/")
        if len(want) != len(got):
            return None
        params = {}
        for pattern, segment in zip(want, got):
            if pattern.startswith("{") and pattern.endswith("}"):
                params[pattern[1:-1]] = segment
            elif pattern.encode("ascii") != segment:
                return None
        return params


ROUTES = (
    Route("hss", "GET", hss_api.TEMPLATE, hss_api.serve),
    Route("iam_projects", "GET", identity.IAM_PROJECTS_PATH, identity_routes.iam_projects),
    Route("metadata_token", "PUT", identity.METADATA_TOKEN_PATH, identity_routes.metadata_token),
    Route("metadata_securitykey", "GET", identity.METADATA_SECURITYKEY_PATH, identity_routes.metadata_securitykey),
    Route("pod_identity", "POST", identity.POD_IDENTITY_PATH, identity_routes.pod_identity),
    Route("sts_oidc", "POST", identity.STS_OIDC_PATH, identity_routes.sts_oidc),
    Route("iam_id_token", "POST", identity.IAM_ID_TOKEN_PATH, identity_routes.iam_id_token),
    Route("iam_securitytokens", "POST", identity.IAM_SECURITYTOKENS_PATH, identity_routes.iam_securitytokens),
)
NOT_FOUND = "not_found"  # the counter of everything else
ROUTE_NAMES = tuple(r.name for r in ROUTES) + (NOT_FOUND,)
assert set(ROUTE_NAMES) == {"hss", NOT_FOUND, *identity.ROUTE_NAMES}


def find(method: str, raw_path: bytes) -> tuple[Route | None, dict]:
    """(the route serving this request, its decoded path parameters), or (None, {})."""
    for route in ROUTES:
        params = route.match(method, raw_path)
        if params is not None:
            return route, {k: percent_decode(v) for k, v in params.items()}
    return None, {}
