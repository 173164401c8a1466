"""HSS ShowImageUploadCommand (hss-emulator(1), THE HSS API):

    GET /v5/{project_id}/image/registries/image-upload-command
        ?registry_addr=&namespace=&username=&password=[&enterprise_project_id=]

after authentication (auth.py): X-Project-Id, if sent, must be the path's project id; then the
project ids of BEHAVIOURS answer at once; then the parameters are checked (400 HSS.0004, the
message names the parameter, never its value); then 200 with the three fields and
"emulator_echo", what the emulator decoded (not a field of the real service).
"""

from __future__ import annotations

import functools
import re

from . import auth, canonical, faults

TEMPLATE = "/v5/{project_id}/image/registries/image-upload-command"

# (name, min chars, max chars, required). Chars = Unicode code points of the decoded UTF-8
# value (Python len()). NB: not grapheme clusters -- "👩‍👩‍👧" is 5 here.
QUERY_LIMITS = (
    ("registry_addr", 1, 256, True),
    ("namespace", 1, 128, True),
    ("username", 1, 128, True),
    ("password", 1, 128, True),
    # Not in the official parameter table; the emulator's own choice: if present, 1-256.
    ("enterprise_project_id", 1, 256, False),
)
PROJECT_ID_LIMITS = (1, 256)
# registry_addr is `host` or `host:port` (the API page); the emulator's reading of it: a name of
# dot-separated labels of letters (any script), digits, '-' and '_', an IPv4 address, or an IPv6
# address in brackets; the port 1-65535.
_HOST = r"(?:[^\W]|-)+(?:\.(?:[^\W]|-)+)*|\[[0-9A-Fa-f:.]+\]"
REGISTRY_ADDR_RE = re.compile(r"(?:%s)(?::(?P<port>[0-9]{1,5}))?" % _HOST)

IMAGES_DOWNLOAD_URL = "https://hss-emulator.invalid/images/hss-scanner.zip"
SWR_IMAGE_PULL_COMMAND = "docker pull swr.emulator.invalid/hss/hss-scanner:latest"
IMAGE_COMMAND = ("docker login -u {username} -p {password} {registry_addr} && docker load -i hss-scanner.tar && "
                 "docker push {registry_addr}/{namespace}/hss-scanner")
HUGE_BODY_SIZE = 8 << 20
STALL_SECONDS = 30
REDIRECT_LOCATION = "http://127.0.0.1:1/elsewhere"
REDACTED = "<redacted>"
REDACTED_HEADERS = {"authorization", "x-security-token", "x-auth-token"}

# Project ids that make the HSS route misbehave (after authentication): id -> what it does.
BEHAVIOURS = {
    **{"emu-status-%d" % s: "%d %s" % (s, faults.ERRORS[s][0]) for s in (403, 429, 500, 502, 504)},
    "emu-errfmt-camel": '400 {"errorCode": "HSS.1001", "errorMsg": ...}',
    "emu-errfmt-code": '400 {"code": "HSS.1002", "message": ...}',
    "emu-errfmt-text": "503 text/plain",
    "emu-nonjson": "200 text/html",
    "emu-huge": "200, an 8 MiB JSON body",
    "emu-redirect": "302 to %s" % REDIRECT_LOCATION,
    "emu-stall": "the answer %d s late" % STALL_SECONDS,
    "emu-missing-field": "200 without swr_image_pull_command",
    "emu-nul-field": "200, image_command with a NUL character",
    "emu-echo-headers": "200, emulator_echo with every header received (credentials <redacted>)",
}


def serve(handler, request: auth.Incoming, path: dict):
    try:
        credential = handler.authenticate(request)
    except auth.AuthError as e:
        handler.send_error_json(e.status, e.code, e.msg)
        return
    project_id = path["project_id"]
    declared = request.header_bytes("X-Project-Id")
    if declared and (len(declared) != 1 or canonical.trim_header_value(declared[0]) !=
                     canonical.trim_header_value(project_id)):
        handler.send_error_json(400, "HSS.0004", "invalid parameter: X-Project-Id (not the project id of the path)")
        return
    behaviour = project_id.decode("utf-8", "replace")
    if _misbehave(handler, behaviour):
        return
    try:
        params = validate(project_id, request.raw_query)
    except ValueError as e:
        handler.send_error_json(400, "HSS.0004", str(e))
        return
    handler.note(params=dict(params))

    echo = dict(params, auth=credential["auth"], security_token=request.headers.get("X-Security-Token") is not None,
                user_agent=request.header_text("User-Agent"),
                **{k: credential[k] for k in ("signed_headers", "access_key", "temporary", "algorithm", "scope")})
    if behaviour == "emu-echo-headers":
        echo["headers"] = {name: REDACTED if name.lower() in REDACTED_HEADERS else
                           ", ".join(v.decode("utf-8", "replace") for v in request.header_bytes(name))
                           for name in dict.fromkeys(request.headers.keys())}
    body = {
        "image_command": "docker load\u0000 -i hss-scanner.tar" if behaviour == "emu-nul-field" else
        IMAGE_COMMAND.format(**params),
        "images_download_url": IMAGES_DOWNLOAD_URL,
        "swr_image_pull_command": SWR_IMAGE_PULL_COMMAND,
        "emulator_echo": echo,
    }
    if behaviour == "emu-missing-field":
        del body["swr_image_pull_command"]
    handler.note(echo=echo)
    handler.send_json(200, body)


def _misbehave(handler, behaviour: str) -> bool:
    """The behaviours that do not depend on the query; True when one answered."""
    if behaviour.startswith("emu-status-") and behaviour in BEHAVIOURS:
        status = int(behaviour.rsplit("-", 1)[1])
        handler.send_error_json(status, *faults.error_of(status))
    elif behaviour == "emu-errfmt-camel":
        handler.send_json(400, {"errorCode": "HSS.1001", "errorMsg": "camel error"})
    elif behaviour == "emu-errfmt-code":
        handler.send_json(400, {"code": "HSS.1002", "message": "code error"})
    elif behaviour == "emu-errfmt-text":
        handler.send_answer(503, b"service unavailable", "text/plain")
    elif behaviour == "emu-nonjson":
        handler.send_answer(200, b"<html>oops</html>", "text/html")
    elif behaviour == "emu-huge":
        handler.send_answer(200, huge_body())
    elif behaviour == "emu-redirect":
        handler.send_answer(302, b"", None, [("Location", REDIRECT_LOCATION)])
    elif behaviour == "emu-stall" and handler.server.wait_or_wake(STALL_SECONDS):
        handler.close_connection = True  # shut down or reset meanwhile: no answer
    else:
        return False
    return True


def validate(project_id: bytes, raw_query: bytes) -> dict:
    """The decoded parameters, or ValueError(message); messages never echo values."""
    def text(name: str, raw: bytes, lo: int, hi: int) -> str:
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("invalid parameter: %s (not valid UTF-8)" % name) from None
        if not lo <= len(value) <= hi:
            raise ValueError("invalid parameter: %s (length must be %d-%d characters)" % (name, lo, hi))
        return value

    out = {"project_id": text("project_id", project_id, *PROJECT_ID_LIMITS)}
    received: dict[str, bytes] = {}
    known = {name for name, *_ in QUERY_LIMITS}
    for raw_name, raw_value in canonical.parse_query(raw_query):
        name = raw_name.decode("utf-8", "replace")
        if name not in known:
            shown = name if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) else "(not shown)"
            raise ValueError("unknown query parameter: %s" % shown)
        if name in received:
            raise ValueError("duplicate query parameter: %s" % name)
        received[name] = raw_value
    for name, lo, hi, required in QUERY_LIMITS:
        if name in received:
            out[name] = text(name, received[name], lo, hi)
        elif required:
            raise ValueError("missing required query parameter: %s" % name)
        else:
            out[name] = None
    if not registry_addr_ok(out["registry_addr"]):
        raise ValueError("invalid parameter: registry_addr (must be host or host:port)")
    return out


def registry_addr_ok(value: str) -> bool:
    m = REGISTRY_ADDR_RE.fullmatch(value)
    return m is not None and (m.group("port") is None or 1 <= int(m.group("port")) <= 65535)


@functools.lru_cache(maxsize=None)
def huge_body() -> bytes:
    head = b'{"image_command":"'
    tail = ('","images_download_url":"%s","swr_image_pull_command":"%s"}'
            % (IMAGES_DOWNLOAD_URL, SWR_IMAGE_PULL_COMMAND)).encode()
    return head + b"x" * (HUGE_BODY_SIZE - len(head) - len(tail)) + tail
