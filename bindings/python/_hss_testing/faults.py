"""Scripted answers (hss-emulator(1), SCRIPTED ANSWERS): a route's next answers, one action per
request, taken before authentication; once a route's script is empty it serves normally.

An action is "pass" (serve normally) or a dict:

    status        answer with this status: the body (below), else a JSON error {"error_code",
                  "error_msg", "request_id"} with ERRORS' code and message for the status
    error_code,   the error's code and message instead of ERRORS' (a 4xx/5xx without a body)
    error_msg
    body          the answer's body: a dict or list (sent as JSON), or str/bytes sent as they are
                  (Content-Type application/json when they parse as JSON, else text/plain)
    retry_after   a Retry-After header ("1", or an HTTP date), on this answer
    date          the Date header of this answer: a str sent as is, or a datetime
    delay         seconds to wait first (then the answer above, or with no status the normal
                  answer); reset() and shutdown end the wait and hang up without answering
    reset         True: hang up at once without answering (TCP RST)
    truncate      True: a 200 whose Content-Length promises more than is sent, then close
    oversize      True: a 200 JSON body of OVERSIZE_BODY_SIZE (libhss's 256 KiB cap + 1)

At most one of status, reset, truncate and oversize; retry_after, date and delay also go with a
normal answer (e.g. {"date": ...} alone: the normal answer with that Date).
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import functools
import json
import socket
import struct

# The gateway's code and message for a status, where the API reference names them (APIGW.*, APIG.*);
# the others are this emulator's own choice. Scripted errors and the emu-status-* project ids use them.
ERRORS = {
    400: ("HSS.0004", "invalid parameter (scripted answer)"),
    401: ("APIGW.0301", "Incorrect IAM authentication information: scripted answer"),
    403: ("APIGW.0302", "The IAM user is not authorized to access the API."),
    429: ("APIG.0308", "The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 second"),
    500: ("HSS.0000", "internal error"),
    502: ("APIGW.0202", "Backend unavailable."),
    503: ("EMU.0503", "Service unavailable (scripted answer)"),
    504: ("APIGW.0203", "Backend timeout."),
}
OUTCOMES = ("status", "reset", "truncate", "oversize")
KEYS = frozenset(OUTCOMES + ("error_code", "error_msg", "body", "retry_after", "date", "delay"))
OVERSIZE_BODY_SIZE = (256 << 10) + 1  # one byte over libhss's answer cap (include/hss.h)


def error_of(status: int) -> tuple[str, str]:
    return ERRORS.get(status, ("EMU.%04d" % status, "scripted answer"))


def check(action):
    """The action as the server keeps it, or ValueError saying what is wrong with it."""
    if action == "pass":
        return action
    if not isinstance(action, dict) or not action or not set(action) <= KEYS:
        raise ValueError("not an answer: %r (keys: %s)" % (action, ", ".join(sorted(KEYS))))
    if sum(key in action for key in OUTCOMES) > 1:
        raise ValueError("at most one of %s: %r" % (", ".join(OUTCOMES), action))
    status = action.get("status")
    if status is not None and (type(status) is not int or not 100 <= status <= 599):
        raise ValueError("status must be an HTTP status code: %r" % (status,))
    if ("error_code" in action or "error_msg" in action) and (status is None or status < 400 or "body" in action):
        raise ValueError("error_code and error_msg go with an error status and no body: %r" % (action,))
    if "body" in action and status is None:
        raise ValueError("a body goes with a status: %r" % (action,))
    if status is not None and status < 400 and "body" not in action:
        raise ValueError("a status below 400 needs a body: %r" % (action,))
    delay = action.get("delay", 0)
    if type(delay) not in (int, float) or delay < 0:
        raise ValueError("delay must be seconds >= 0: %r" % (delay,))
    date = action.get("date")
    if isinstance(date, _dt.datetime):
        action = dict(action, date=email.utils.format_datetime(date.astimezone(_dt.timezone.utc), usegmt=True))
    elif date is not None and not isinstance(date, str):
        raise ValueError("date must be a str or a datetime: %r" % (date,))
    if "retry_after" in action:
        action = dict(action, retry_after=str(action["retry_after"]))
    return action


def carry_out(handler, action) -> bool:
    """Do the request's action; True when it answered (or hung up), False: serve normally."""
    if action == "pass":
        return False
    if action.get("delay") and handler.server.wait_or_wake(action["delay"]):
        handler.close_connection = True  # reset() or shutdown meanwhile: no late answer
        return True
    handler.date_override = action.get("date")
    if "retry_after" in action:
        handler.answer_headers.append(("Retry-After", action["retry_after"]))
    if action.get("reset"):
        handler.close_connection = True
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()  # RST; the server's own shutdown of the socket then does nothing
        return True
    if action.get("truncate"):
        body = b'{"image_command":"docker login'
        handler.close_connection = True
        handler.send_answer(200, body, content_length=len(body) + 1000)
        return True
    if action.get("oversize"):
        handler.send_answer(200, oversize_body())
        return True
    status = action.get("status")
    if status is None:
        return False
    if "body" in action:
        body, content_type = _body(action["body"])
        handler.send_answer(status, body, content_type)
        return True
    code, msg = error_of(status)
    handler.send_error_json(status, action.get("error_code", code), action.get("error_msg", msg))
    return True


def _body(body) -> tuple[bytes, str]:
    if isinstance(body, (dict, list)):
        return json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json"
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    try:
        json.loads(raw)
        return raw, "application/json"
    except ValueError:
        return raw, "text/plain"


@functools.lru_cache(maxsize=None)
def oversize_body() -> bytes:
    head, tail = b'{"image_command":"', b'","images_download_url":"","swr_image_pull_command":""}'
    return head + b"x" * (OVERSIZE_BODY_SIZE - len(head) - len(tail)) + tail
