"""The canary secrets of the redaction tests and the forms they may come back in (include/hss.h's
redaction rule), one copy for the three front ends: Tests/test_canary.py (the C API),
Tests/python/test_py_redaction.py (the Python binding), Tests/shell/test_cli_redaction.py
(hss-image-upload-command).

    PASSWORD, SK, SECURITY_TOKEN, AUTH_TOKEN   the secrets of a call (SECRET_VALUES by name),
        plus wrong ones (for 401s) and ones nested in or overlapping another; SECRETS: all
    ENCODINGS        name -> encoder, every single-layer form of the rule
    TWO_LAYERS       "outer(inner)" -> encoder, every ordered pair of those layers, plus MIXED:
                     forms whose characters each take their own pair
    distinct_forms() (secret name, encoding name) pairs, each distinct single-layer text once
    forms(secret)    the set of its encoded forms (one layer or two), as bytes
    write_vectors()  Tests/vectors/secret_forms.json, every secret in every form, for the
                     Swift tests and the fuzz target (python3 Tests/secret_forms.py writes it)
    MARKERS, assert_clean(output)   no form of any secret, no marker
    is_token(text)   whether a request id survives as one
    BODIES, PLACES, one_case_per_place(), serve()   where the Python and shell tests put a form

Importable from every test directory: with pytest's default import mode the rootdir conftest
(Tests/conftest.py) puts Tests/ on sys.path, and Tests/shell is a package under it.
"""

import json
import re
import string
from pathlib import Path
from urllib.parse import quote, quote_plus

# Every secret holds what the encoders treat differently: space, / ~ " + & = \ *, non-ASCII
# (in the password a character outside the BMP: a JSON surrogate pair). The tokens travel as
# header values: printable ASCII without spaces. Each secret starts (after two letters) and
# ends with a marker: 5 letters and digits, which no encoding changes and which, not being hex
# alone, no random request id can hold. A marker in the output means a partial redaction.
PASSWORD = 'PwQ7z4K \u00e4/~"+&=\\\U0001f511 *Zr8Lp'
SK = 'SkW8r2N \u00e9/~ "+&=\\*Xc3Vb'
SECURITY_TOKEN = 'StJ5m9D/~"+&=\\*Gf6Hj'
AUTH_TOKEN = 'AtH3v6B/~"+&=\\*Lk2Mn'
SECRET_VALUES = {"password": PASSWORD, "sk": SK, "security_token": SECURITY_TOKEN, "auth_token": AUTH_TOKEN}
WRONG_SK = 'SkR6t1Y \u00e9/~ "+&=\\*Ux4Wp'
WRONG_AUTH_TOKEN = 'AtF2g8K/~"+&=\\*Ep5Rt'
# One secret inside another: the longer one must go as a whole (no "***-Tl5Gh" left over).
PASSWORD_WITH_SK = SK + "-Tl5Gh"
SK_WITH_PASSWORD = "SkV2c9M-" + PASSWORD + "-Hy4Jk"
PASSWORD_IN_TOKEN = 'PwB4n8R/~"+&=\\*Yu7Io'
TOKEN_WITH_PASSWORD = "AtQa9Ws-" + PASSWORD_IN_TOKEN + "-Ko6Fd"
SECURITY_TOKEN_WITH_PASSWORD_FORM = "StK8d3W-" + quote(PASSWORD, safe="")
# Two secrets that overlap: the password ends with what the SK starts with.
OVERLAP = "Ov3rL"
OVERLAP_PASSWORD, OVERLAP_SK = "PwC5x2Q /" + OVERLAP, OVERLAP + "/ SkD9u4Z"

SECRETS = [PASSWORD, SK, SECURITY_TOKEN, AUTH_TOKEN, WRONG_SK, WRONG_AUTH_TOKEN, PASSWORD_WITH_SK,
           SK_WITH_PASSWORD, PASSWORD_IN_TOKEN, TOKEN_WITH_PASSWORD, SECURITY_TOKEN_WITH_PASSWORD_FORM,
           OVERLAP_PASSWORD, OVERLAP_SK]
MARKERS = ["Q7z4K", "Zr8Lp", "W8r2N", "Xc3Vb", "J5m9D", "Gf6Hj", "H3v6B", "Lk2Mn", "R6t1Y", "Ux4Wp",
           "F2g8K", "Ep5Rt", "Tl5Gh", "V2c9M", "Hy4Jk", "B4n8R", "Yu7Io", "Qa9Ws", "Ko6Fd", "K8d3W",
           "C5x2Q", OVERLAP, "D9u4Z"]
# A secret added without markers would make every test above it weaker: refuse it here.
assert all(any(m in s[:7] for m in MARKERS) and s[-5:] in MARKERS for s in SECRETS)


# ----------------------------------------------------------------------------- the forms

def _lower_hex(text):
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _mixed_hex(text):
    """%C3%a4%2F%7e...: every other escape in lower case."""
    n = iter(range(len(text)))
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower() if next(n) % 2 else m.group(0), text)


def _upper_u(text):
    return re.sub(r"\\u[0-9a-f]{4}", lambda m: "\\u" + m.group(0)[2:].upper(), text)


def _json(text, ensure_ascii=True, slash=False):
    """The inside of a JSON string: \\" and \\\\, non-ASCII as \\uXXXX (a surrogate pair beyond
    the BMP) or raw, '/' as \\/ or raw."""
    out = json.dumps(text, ensure_ascii=ensure_ascii)[1:-1]
    return out.replace("/", "\\/") if slash else out


def _json_every_char(text):
    """Every character as \\uxxxx (UTF-16 units)."""
    units = text.encode("utf-16-be")
    return "".join("\\u%02x%02x" % (units[i], units[i + 1]) for i in range(0, len(units), 2))


# Every form of the rule, as the encoders a gateway or proxy uses write them.
ENCODINGS = {
    "raw": lambda s: s,
    "rfc3986": lambda s: quote(s, safe=""),  # keeps A-Za-z0-9-_.~: what libhss itself sends
    "rfc3986-lower-hex": lambda s: _lower_hex(quote(s, safe="")),
    "mixed-case-hex": lambda s: _mixed_hex(quote(s, safe="")),
    "whatwg-java": lambda s: quote_plus(s, safe="*").replace("~", "%7E"),  # '+' for space, '*' kept
    "python-quote": lambda s: quote(s),  # '/' kept
    "python-quote-plus": lambda s: quote_plus(s),
    "python-quote-plus-lower-hex": lambda s: _lower_hex(quote_plus(s)),
    "non-ascii-only": lambda s: quote(s, safe=string.punctuation + " "),  # encoded bytes mixed with raw
    "plus-for-space": lambda s: s.replace(" ", "+"),
    "json": lambda s: _json(s),  # \" \\ \u00e4 \ud83d\udd11, '/' raw
    "json-upper-hex": lambda s: _upper_u(_json(s)),
    "json-slash": lambda s: _json(s, slash=True),
    "json-slash-upper-hex": lambda s: _upper_u(_json(s, slash=True)),
    "json-slash-raw-non-ascii": lambda s: _json(s, ensure_ascii=False, slash=True),
    "json-every-char": _json_every_char,
    "json-every-char-upper-hex": lambda s: _upper_u(_json_every_char(s)),
}
# Any two nested layers: a gateway percent-encodes what a service JSON-escaped, or a text is
# escaped twice. Every ordered pair of the single layers (raw aside: raw over X is X).
LAYERS = {name: encode for name, encode in ENCODINGS.items() if name != "raw"}
TWO_LAYERS = {"%s(%s)" % (outer, inner): (lambda s, o=o, i=i: o(i(s)))
              for outer, o in LAYERS.items() for inner, i in LAYERS.items()}


def _each_character(encoders):
    """Each character through the next of `encoders` in turn: a form mixed per character."""
    return lambda s: "".join(encoders[k % len(encoders)](c) for k, c in enumerate(s))


# Mixed per character: each character of the secret through its own pair, or each character
# of a mixed first layer through its own second layer. The outer layers escape '"' and '\',
# so these forms are valid inside a JSON string as they are.
TWO_LAYERS["mixed-pairs"] = _each_character(
    [TWO_LAYERS[n] for n in ("rfc3986(rfc3986)", "json-every-char(rfc3986-lower-hex)", "json(json)",
                             "python-quote-plus(json-slash)", "json-every-char-upper-hex(json-every-char)")]
    + [ENCODINGS["json"], ENCODINGS["rfc3986"]])
TWO_LAYERS["mixed-layers"] = lambda s: _each_character(
    [ENCODINGS[n] for n in ("json", "rfc3986-lower-hex", "json-every-char", "mixed-case-hex")])(
    _each_character([ENCODINGS[n] for n in ("raw", "json-every-char-upper-hex", "whatwg-java")])(s))
# One pair of each kind, for the C-level suite (the full grid is Tests/HSSTests/RedactorTests.swift).
TWO_LAYER_KINDS = ["rfc3986(rfc3986)", "json-every-char(rfc3986)", "json(json)", "json-every-char(json)",
                   "rfc3986-lower-hex(json-slash)", "whatwg-java(python-quote-plus)", "mixed-pairs",
                   "mixed-layers"]

# A few forms for the nested and overlapping secrets.
NESTED_ENCODINGS = ["raw", "rfc3986", "rfc3986-lower-hex", "whatwg-java", "json", "json-slash",
                    "json-slash-raw-non-ascii"]


def distinct_forms(names=tuple(SECRET_VALUES)):
    """(secret name, encoding name) for the named secrets of SECRET_VALUES, each secret's
    distinct texts once (for an ASCII token several encodings agree)."""
    out = []
    for name in names:
        seen = set()
        for encoding, encode in ENCODINGS.items():
            text = encode(SECRET_VALUES[name])
            if text not in seen:
                seen.add(text)
                out.append((name, encoding))
    return out


def forms(secret):
    """Every form of the secret, one layer or two, as UTF-8 bytes."""
    return {encode(secret).encode() for encode in (*ENCODINGS.values(), *TWO_LAYERS.values())}


ALL_FORMS = set().union(*(forms(s) for s in SECRETS))
# 1,200 forms searched one by one would make every test that checks its output several times
# slower: one regular expression finds where a form may start (its first bytes), then only the
# forms with those first bytes are compared there.
_PREFIX = 10
assert all(len(form) > _PREFIX for form in ALL_FORMS)
_BY_PREFIX = {}
for _form in sorted(ALL_FORMS):
    _BY_PREFIX.setdefault(_form[:_PREFIX], []).append(_form)
_STARTS = re.compile(b"|".join(re.escape(prefix) for prefix in sorted(_BY_PREFIX)))


def assert_clean(output, what="the output"):
    """output (bytes, or str: checked as UTF-8) shows no form of any secret and no marker."""
    if isinstance(output, str):
        output = output.encode("utf-8", "surrogatepass")
    start = _STARTS.search(output)
    while start:
        at = start.start()
        for form in _BY_PREFIX[output[at:at + _PREFIX]]:
            assert not output.startswith(form, at), "%s shows %r:\n%r" % (what, form, output)
        start = _STARTS.search(output, at + 1)
    for marker in MARKERS:
        assert marker.encode() not in output, "%s shows the marker %s:\n%r" % (what, marker, output)


VECTORS = Path(__file__).resolve().parent / "vectors" / "secret_forms.json"
# The secrets of a call, the wrong ones, and one holding another (whose forms hold the other's).
VECTOR_SECRETS = [*SECRET_VALUES.values(), WRONG_SK, WRONG_AUTH_TOKEN, SK_WITH_PASSWORD]


def vectors():
    """The text of VECTORS: each secret's distinct forms (one layer or two), one per line, for
    Tests/HSSTests/RedactorTests.swift and the redactor fuzz target, which read the table from there."""
    lines = []
    for secret in VECTOR_SECRETS:
        seen = set()
        for encoding, encode in (*ENCODINGS.items(), *TWO_LAYERS.items()):
            form = encode(secret)
            if form not in seen:
                seen.add(form)
                lines.append(json.dumps({"secret": secret, "encoding": encoding, "form": form}))
    return '{"written by": "python3 Tests/secret_forms.py", "forms": [\n%s\n]}\n' % ",\n".join(lines)


def is_token(text):
    """What a request id may be: printable ASCII without spaces, at most 128 characters."""
    return len(text) <= 128 and all(0x20 < ord(c) < 0x7F for c in text)


# ----------------------------------------------------------------------------- where a form goes
# (the Python and shell tests; Tests/test_canary.py has C-level containers of its own)

# place -> (HTTP status, body(form) -> str, the error field that must show "***")
BODIES = {
    "object-message": (400, lambda f: json.dumps({"error_code": "HSS.1001", "error_msg": "denied: %s." % f}),
                       "error_msg"),
    "object-code": (400, lambda f: json.dumps({"error_code": f, "error_msg": "denied"}), "error_code"),
    # spliced into a JSON string as is: for the JSON forms a valid object the parser decodes
    "object-spliced": (400, lambda f: '{"error_code": "HSS.1001", "error_msg": "denied: %s."}' % f, "error_msg"),
    "array": (400, lambda f: '[{"error_code": "HSS.1001", "error_msg": "denied: %s."}]' % f, "error_msg"),
    "truncated-object": (400, lambda f: '{"error_code": "HSS.1001", "error_msg": "denied: %s' % f, "error_msg"),
    "text": (502, lambda f: "Bad gateway: upstream said %s\n" % f, "error_msg"),
}
PLACES = list(BODIES) + ["header-request-id", "body-request-id"]
NESTED_PLACES = ["text", "array", "header-request-id", "body-request-id"]


def one_case_per_place():
    """(place, secret name, encoding name): each place once, for the Python and shell tests, which
    prove that they pass every place through (the grid of secrets and forms is test_canary.py's).
    The secrets of SECRET_VALUES take turns, each place another of their distinct forms (in a
    request id, one that stays a token, so that "req-***-end" must come back)."""
    names = list(SECRET_VALUES)
    out = []
    for i, place in enumerate(PLACES):
        name = names[i % len(names)]
        encodings = [e for _, e in distinct_forms([name]) if not place.endswith("request-id")
                     or is_token("req-%s-end" % ENCODINGS[e](SECRET_VALUES[name]))]
        out.append((place, name, encodings[(3 * i + 1) % len(encodings)]))
    return out


def serve(stub_server, place, text):
    """Make the stub server answer `text` (a form of a secret) in `place`. Returns (the HTTP
    status, the request id that must come back: "req-***-end" for one that holds the form,
    or None where it is no token either way and may be redacted or dropped)."""
    request_id = "req-%s-end" % text
    expected = "req-***-end" if is_token(request_id) else None
    if place == "header-request-id":
        # the form's UTF-8 bytes as they are (send_header writes str as latin-1)
        stub_server.answer({"error_code": "HSS.1001", "error_msg": "denied"}, 400,
                           request_id.encode().decode("latin-1"))
        return 400, expected
    if place == "body-request-id":
        stub_server.answer({"error_code": "HSS.1001", "error_msg": "denied", "request_id": request_id}, 400)
        return 400, expected
    status, body, _ = BODIES[place]  # with a plain request id, which must come back as is
    stub_server.answer_raw(body(text).encode(), status, stub_server.header_request_id)
    return status, stub_server.header_request_id


if __name__ == "__main__":
    VECTORS.write_text(vectors())
