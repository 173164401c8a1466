#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Fuzz/corpus/<target>/seed-*): the bundled emulator's
answers (started in-process on 127.0.0.1, asked over loopback only) in every shape, the canary secrets
of Tests/secret_forms.py in each of their forms, and hand-written inputs for the readers of files,
options and dates. Files named regression-* (inputs that once found a defect) are left alone, and so are
the seeds of targets this script does not write (entry's are written by hand).

    .venv/bin/python Fuzz/make_seeds.py      (then commit Fuzz/corpus)

The input layouts are those the targets' comments describe (Fuzz/targets/*.swift).
"""

import http
import http.client
import json
import re
import struct
import sys
import time
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "Tests"), str(ROOT / "bindings" / "python")]

import secret_forms  # noqa: E402
from _hss_testing import identity, start_emulator  # noqa: E402

CORPUS = ROOT / "Fuzz" / "corpus"
QUERY = "registry_addr=swr.example.com&namespace=ns&username=user&password=P%40ss%20w%2Ford%C3%A4"
HSS_PATH = "/v5/%s/image/registries/image-upload-command"
TOKEN = {"X-Auth-Token": "EMULATOR-TOKEN"}
JSON = {"Content-Type": "application/json"}


def ask(port, method, target, headers=None, body=None):
    """One request to the emulator: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, target, body=json.dumps(body) if isinstance(body, dict) else body, headers=headers or {})
    resp = conn.getresponse()
    answer = (resp.status, dict(resp.getheaders()), resp.read())
    conn.close()
    return answer


def emulator_answers():
    """name -> (status, headers, body) for every kind of answer the emulator gives."""
    server, port = start_emulator()
    out = {}
    try:
        hss = HSS_PATH % "p1" + "?" + QUERY
        out["hss-ok"] = ask(port, "GET", hss, TOKEN)
        for behaviour in ["emu-status-403", "emu-status-429", "emu-status-500", "emu-status-502", "emu-status-504",
                          "emu-errfmt-camel", "emu-errfmt-code", "emu-errfmt-text", "emu-nonjson",
                          "emu-missing-field", "emu-nul-field", "emu-echo-headers"]:
            out["hss-" + behaviour] = ask(port, "GET", HSS_PATH % behaviour + "?" + QUERY, TOKEN)
        out["hss-missing-parameter"] = ask(port, "GET", HSS_PATH % "p1" + "?namespace=ns", TOKEN)
        out["hss-no-auth"] = ask(port, "GET", hss)
        out["hss-bad-token"] = ask(port, "GET", hss, {"X-Auth-Token": "wrong"})
        now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        signed = {"Authorization": "SDK-HMAC-SHA256 Access=EMULATORAK, SignedHeaders=host;x-sdk-date, Signature=00",
                  "X-Sdk-Date": now}
        out["hss-bad-signature"] = ask(port, "GET", hss, signed)  # echoes the canonical request
        out["hss-clock-skew"] = ask(port, "GET", hss, dict(signed, **{"X-Sdk-Date": "20000101T000000Z"}))
        out["not-found"] = ask(port, "GET", "/v5/nothing", TOKEN)
        server.script([{"status": 429, "retry_after": "1"}, {"status": 503, "retry_after": formatdate(usegmt=True)},
                       {"status": 502}, {"status": 504, "error_code": "APIGW.0203", "error_msg": "Backend timeout."}])
        for i in range(4):
            out["fault-%d" % i] = ask(port, "GET", hss, TOKEN)
        server.clear_faults()

        ident = server.identity
        out["iam-projects"] = ask(port, "GET", "/v3/projects?name=cn-north-4", TOKEN)
        ident.projects = {"xx-two": ["p1", "p2"], "xx-none": []}
        out["iam-projects-two"] = ask(port, "GET", "/v3/projects?name=xx-two", TOKEN)
        out["iam-projects-none"] = ask(port, "GET", "/v3/projects?name=xx-none", TOKEN)
        out["iam-unauthorized"] = ask(port, "GET", "/v3/projects?name=cn-north-4")
        ttl = {"X-Metadata-Token-Ttl-Seconds": "21600"}
        out["metadata-token"] = ask(port, "PUT", identity.METADATA_TOKEN_PATH, ttl)
        out["metadata-token-refused"] = ask(port, "PUT", identity.METADATA_TOKEN_PATH)
        out["metadata-unauthorized"] = ask(port, "GET", identity.METADATA_SECURITYKEY_PATH, {"X-Metadata-Token": "x"})
        session = {"X-Metadata-Token": out["metadata-token"][2].decode()}
        for shape in identity.SHAPES:
            for expiry in identity.EXPIRY_FORMATS:
                ident.shapes = {"metadata_securitykey": shape}
                ident.expiry_format = expiry
                name = "credentials-%s-%s" % (shape, expiry)
                out[name] = ask(port, "GET", identity.METADATA_SECURITYKEY_PATH, session)
        ident.shapes, ident.expiry_format = {}, "micro"
        pod = {"Authorization": identity.POD_TOKEN, **JSON}
        out["pod-identity"] = ask(port, "POST", identity.POD_IDENTITY_PATH, pod, {})
        out["pod-identity-unauthorized"] = ask(port, "POST", identity.POD_IDENTITY_PATH, JSON, {})
        out["sts"] = ask(port, "POST", identity.STS_OIDC_PATH, JSON, dict(identity.DEFAULT_OIDC))
        out["sts-bad-field"] = ask(port, "POST", identity.STS_OIDC_PATH, JSON, {"x": 1})
        id_token = {"auth": {"id_token": {"id": identity.ID_TOKEN}}}
        idp = {"X-Idp-Id": identity.IDP_ID, **JSON}
        out["iam-id-token"] = ask(port, "POST", identity.IAM_ID_TOKEN_PATH, idp, id_token)
        unscoped = out["iam-id-token"][1].get("X-Subject-Token", "")
        exchange = {"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped, "duration_seconds": 900}}}}
        out["iam-securitytoken"] = ask(port, "POST", identity.IAM_SECURITYTOKENS_PATH, JSON, exchange)
        out["iam-securitytoken-bad-duration"] = ask(
            port, "POST", identity.IAM_SECURITYTOKENS_PATH, JSON,
            {"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped, "duration_seconds": 1}}}})
    finally:
        server.shutdown()
    return out


CLEARED = set()


def write(target, name, data):
    """Writes a seed; the first write to a target removes its old seeds (not other targets', whose
    seeds may be written by hand, nor any regression-* input)."""
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    if target not in CLEARED:
        CLEARED.add(target)
        for old in folder.glob("seed-*"):
            old.unlink()
    (folder / ("seed-" + name)).write_bytes(data.encode() if isinstance(data, str) else data)


def redactor_input(secrets, body, insertions=()):
    """The redactor target's layout. '*' is never in a fuzzed secret (the target maps it to '#')."""
    out = bytes([len(secrets) - 1]) + b"".join(s.replace("*", "#").encode() + b"\0" for s in secrets)
    out += bytes([len(insertions)])
    for secret, at, seed in insertions:
        out += bytes([secret]) + struct.pack("<H", at) + bytes([seed, 0, 0])
    return out + body


DAY = 86_400  # SigningClock.maxCorrection

# The answer target's paths (its first input byte) and secrets (as Fuzz/targets/answer.swift has them).
HSS, IAM, METADATA, POD, STS, FEDERATION = range(6)
ANSWER_SECRETS = ['AnsPw7z4K\u00e4/~"+&=\\\U0001f511#Zr8Lp', 'AnsSk8r2N\u00e9/~"+&=\\#Xc3Vb',
                  'AnsSt5m9D/~"+&=\\#Gf6Hj', 'AnsOidc3v6B/~"+&=\\#Lk2Mn', 'AnsPod6t1Y/~"+&=\\#Ux4Wp',
                  'AnsIdT2g8K/~"+&=\\#Ep5Rt']
HOSTILE_DATES = ["Mon, 01 Jan -999 00:00:00 GMT", "Mon, 01 Jan -001 00:00:00 GMT", "Sat, 01 Jan 0000 00:00:00 GMT",
                 "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Mon, 01 Jan 2024 00:00:60 GMT",
                 "Mon, 01 Jan 2024 00:00:00 UTC", "Monday, 01-Jan-24 00:00:00 GMT",
                 "Mon, 01 Jan 2024 \u00e400:00 GMT"]


def http_answer(status, headers=(), body=b""):
    """An HTTP/1.1 answer as it goes on the wire: the status line, the headers (name, value), a
    Content-Length unless the headers frame the body themselves, the body."""
    body = body.encode() if isinstance(body, str) else body
    reason = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Whatever"
    headers = list(headers)
    framed = any(name.lower() in ("content-length", "transfer-encoding") for name, _ in headers)
    if not framed:
        headers.append(("Content-Length", str(len(body))))
    head = "HTTP/1.1 %d %s\r\n" % (status, reason) + "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
    return head.encode("utf-8", "surrogateescape") + body


def answer_seed(name, path, answer, flags=0):
    """The answer target's layout: the path, the flags, the answer."""
    write("answer", name, bytes([path, flags]) + answer)


def emulated(answer, keep=("Date", "X-Request-Id", "Retry-After", "X-Subject-Token", "X-IAM-Trace-Id")):
    """An emulator answer on the wire; expiry dates moved to 2099 so that the seeds stay valid."""
    status, headers, body = answer
    body = re.sub(rb'"20\d\d-(\d\d-\d\dT)', rb'"2099-\1', body)
    kept = [(k, v) for k, v in headers.items() if k in keep]
    return http_answer(status, kept + [("Content-Type", "application/json")], body)


def answer_seeds(answers):
    """Each path's realistic answers, then hostile ones."""
    paths = {"hss": HSS, "fau": HSS, "not": HSS, "iam": IAM, "met": METADATA, "cre": METADATA, "pod": POD,
             "sts": STS}
    for name, answer in answers.items():
        if not name.startswith(("iam-id-token", "iam-securitytoken")):
            answer_seed(name, paths[name[:3]], emulated(answer), flags=1)
    # The metadata service: one answer for the session token and the key, so without a space.
    compact = json.dumps(json.loads(answers["credentials-credential-micro"][2]), separators=(",", ":"))
    answer_seed("metadata-compact", METADATA, emulated((200, {}, compact.encode())))
    answer_seed("metadata-agency", METADATA, http_answer(401, [], identity.AGENCY_ERROR))
    answer_seed("sts-inline", STS, emulated(answers["sts"]), flags=2)
    token = answers["iam-id-token"][1]["X-Subject-Token"]
    answer_seed("federation", FEDERATION, emulated((201, {"X-Subject-Token": token}, answers["iam-securitytoken"][2])))
    answer_seed("federation-no-token", FEDERATION, emulated(answers["iam-id-token"]))
    answer_seed("federation-bad-duration", FEDERATION, emulated(answers["iam-securitytoken-bad-duration"]))

    # Issue 20.1: an expired signature with any Date, for the HSS call and IAM's lookup.
    skew = answers["hss-clock-skew"][2]
    dates = HOSTILE_DATES + [formatdate(usegmt=True), formatdate(time.time() + 2 * DAY, usegmt=True)]
    for index, date in enumerate(dates):
        for path in (HSS, IAM):
            answer_seed("skew-%d-%d" % (path, index), path, http_answer(401, [("Date", date)], skew))
    retry_after = ["0", "1", "-1", "999999999", "1e3", " 5", "Fri, 31 Dec 9999 23:59:59 GMT",
                   "Mon, 01 Jan -999 00:00:00 GMT", formatdate(usegmt=True)]
    for index, value in enumerate(retry_after):
        answer_seed("retry-after-%d" % index, HSS,
                    http_answer(503, [("Retry-After", value)], answers["hss-emu-status-500"][2]))
    # Framing and encoding: chunked (whole and broken), a long header, a short body, HTTP/1.0 read to the
    # close, 100 Continue, a redirect, HTTP/0.9, broken gzip, control bytes in a header and the body.
    ok = answers["hss-ok"][2]
    chunked = [("Transfer-Encoding", "chunked")]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(ok[i:i + 100]), ok[i:i + 100]) for i in range(0, len(ok), 100))
    answer_seed("chunked", HSS, http_answer(200, chunked, chunks + b"0\r\n\r\n"))
    answer_seed("chunked-broken", HSS, http_answer(200, chunked, b"zz\r\n{}"))
    answer_seed("huge-header", HSS, http_answer(200, [("X-Pad", "a" * 3000)], ok[:600]))
    answer_seed("short-body", HSS, http_answer(200, [("Content-Length", "5000")], ok[:100]))
    answer_seed("until-close", HSS, b"HTTP/1.0 200 OK\r\n\r\n" + ok)
    answer_seed("continue", HSS, b"HTTP/1.1 100 Continue\r\n\r\n" + http_answer(200, [], ok))
    answer_seed("redirect", HSS, http_answer(301, [("Location", "http://127.0.0.1:1/")]))
    answer_seed("http09", HSS, b'{"image_command":"x"}\n')
    answer_seed("gzip-broken", HSS, http_answer(200, [("Content-Encoding", "gzip")], b"\x1f\x8b\x08"))
    answer_seed("header-control", IAM, http_answer(404, [("X-IAM-Trace-Id", "a\x1bb\x7fc")], b"\x00\x85"))
    # The secrets a path's client holds, echoed in X-Request-Id (or X-IAM-Trace-Id) and the body, in
    # several forms each.
    for path, index in [(HSS, 0), (HSS, 1), (HSS, 2), (IAM, 1), (IAM, 2), (POD, 4), (STS, 3), (FEDERATION, 5)]:
        for encoding in ("raw", "rfc3986-lower-hex", "json", "json-every-char-upper-hex", "whatwg-java"):
            form = secret_forms.ENCODINGS[encoding](ANSWER_SECRETS[index])
            body = '{"error_code":"HSS.%d","error_msg":"echo %s","request_id":"%s"}' % (index, form, form)
            header = form if encoding != "json" else secret_forms.ENCODINGS["rfc3986"](ANSWER_SECRETS[index])
            echo = http_answer(400, [("X-Request-Id", header), ("X-IAM-Trace-Id", header)], body)
            answer_seed("echo-%d-%d-%s" % (path, index, encoding), path, echo, flags=1 | len(encoding) & 2)


def dates_input(text, choice=0, raw=0):
    """The dates target's layout: a byte for the retry policy, 8 bytes (a raw time), the text."""
    return bytes([choice]) + struct.pack("<Q", raw % (1 << 64)) + text.encode()


def options_input(flags, url, fields, numbers=(0, 0, 0, 0, 0)):
    """The options target's layout; fields: index (see the target) -> text."""
    mask = sum(1 << i for i in fields)
    out = bytes([flags]) + url.encode() + b"\0" + struct.pack("<H", mask) + struct.pack("<5i", *numbers)
    return out + b"".join(fields[i].encode() + b"\0" for i in sorted(fields))


def two_layer_seeds():
    """The password under one pair of layers of each kind, in a text body."""
    secret = secret_forms.PASSWORD.replace("*", "#")
    for encoding in secret_forms.TWO_LAYER_KINDS:
        name = "two-layers-" + encoding.replace("(", "-over-").rstrip(")")
        body = secret_forms.BODIES["text"][1](secret_forms.TWO_LAYERS[encoding](secret))
        write("redactor", name, redactor_input([secret], body.encode()))


def main():
    answers = emulator_answers()

    answer_seeds(answers)

    # json: every answer body; the redactor: the error bodies with forms of the canary secrets.
    for name, (_, headers, body) in answers.items():
        if body:
            write("json", name, body)
        if "Retry-After" in headers:
            write("dates", name + "-retry-after", dates_input(headers["Retry-After"]))
    write("dates", "date-header", dates_input(answers["hss-ok"][1]["Date"], raw=DAY + 4))
    for name in ("credentials-credential-micro", "credentials-credentials-camel-milli", "credentials-top-snake-none"):
        text = answers[name][2].decode()
        expiry = json.loads(text)
        expiry = expiry.get("credential", expiry.get("credentials", expiry))
        write("dates", "expiry-" + name, dates_input(expiry.get("expires_at") or expiry["expiration"]))
    write("json", "escaped-keys", r'{"\u0065rror_code":"A\/B","error_msg":"\ud83d\udd11 \u00e4\n","request_id":"r"}')
    write("json", "duplicate-key", '{"error_code":"a","error\\u005fcode":"b"}')
    write("json", "projects-mixed", '{"projects":[{"id":"a"},{"name":"x"},1,{"id":2},{"id":"b","id2":[]}]}')
    write("json", "deep", "[" * 70 + "]" * 70)
    write("json", "large-object", "{" + ",".join('"k%d":%d' % (i, i) for i in range(40)) + "}")

    secrets = [secret_forms.PASSWORD, secret_forms.SK, secret_forms.SECURITY_TOKEN]
    errors = [n for n, (status, _, body) in answers.items() if status >= 400 and body]
    for name in errors:
        body = answers[name][2]
        write("redactor", name, redactor_input(secrets, body, [(0, len(body) // 2, 7), (1, 5, 200)]))
    for index, (encoding, encode) in enumerate(secret_forms.ENCODINGS.items()):
        secret = secret_forms.PASSWORD.replace("*", "#")
        for place, (_, body, _) in secret_forms.BODIES.items():
            if index % 3 == 0 or place == "object-spliced":
                write("redactor", "%s-%s" % (encoding, place), redactor_input([secret], body(encode(secret)).encode()))
    two_layer_seeds()
    nested = [secret_forms.SK_WITH_PASSWORD, secret_forms.PASSWORD, secret_forms.OVERLAP_SK]
    write("redactor", "nested", redactor_input(nested, b'{"error_msg":"x"}', [(0, 14, 1), (1, 14, 2), (2, 3, 3)]))
    write("redactor", "short-secret", redactor_input(["ab"], b"password=ab&x=1"))

    # percent: bytes to encode, also read as name/value pairs and as a path.
    write("percent", "query", "registry_addr\0swr.example.com\0password\0P@ss w/ord \u00e4\U0001f511\0namespace\0ns")
    write("percent", "path", "/v5/p1/image/registries/image-upload-command")
    write("percent", "encoded-path", "/a%2Fb/c%zz/%C3%A4%/~x")
    write("percent", "same-names", "a\0\u00ff\0a\0\0a\0b\0")

    # options: a flag byte, a URL, the presence mask, five numbers, the fields.
    ak, sk = "EMULATORAK", "EMULATORSK"
    write("options", "region", options_input(0, "https://hss.cn-north-4.myhuaweicloud.com",
                                             {0: "cn-north-4", 3: ak, 4: sk}))
    write("options", "endpoints", options_input(
        3, "127.0.0.1:8080/v5", {1: "http://127.0.0.1:8080, https://[::1]:443/", 2: "0123456789abcdef", 7: "TOKEN"},
        (1000, 2000, 5, 100, 1000)))
    write("options", "proxy", options_input(
        0x21, "socks5h://proxy.example.com:1080", {
            0: "eu-west-101", 3: ak, 4: sk, 6: "ST", 8: "app/1.0 (test)", 9: "https://iam.example.com",
            10: "http://proxy.example.com:3128", 11: "user", 12: "localhost, .example.com"}))
    write("options", "operation", options_input(
        0x80, "HTTPS://Host.Example.COM./", {0: "swr.example.com", 1: "ns", 2: "user", 5: "P@ss w/ord \u00e4",
                                            12: "0"}, (-1, 3600001, 11, 60001, 600001)))

    # ini: credentials files.
    write("ini", "basic", "[basic]\nak = AK1\nsk = SK1\nproject_id = p1\n")
    write("ini", "federated", "\ufeff[DEFAULT]\r\niam_endpoint: https://iam.example.com\r\n[basiccredentials]\r\n"
                              "idp_id = idp\r\nid_token_file = /tmp/token\r\n; comment\r\n# comment\r\n")
    write("ini", "values", "[basic]\nak=plain\nsk: colon\na:b=c\nd=e:f\ng \t=\t h  \n  \n[ basic ]\nAK = x\n")
    write("ini", "errors", "ak = 1\n[basic\n[]\n[basic]\nak = 1\nak = 2\n = 3\n  continued\nnothing\n")

    # regions: a region byte (0: xx-custom-1, 1: cn-north-4, 2: a), then the file.
    official = ("HSS:\n  - id: cn-north-4\n    endpoint: https://hss-file.example.com\n  - id: xx-custom-1\n"
                "    endpoints:\n      - https://e1.example.com\n      - https://e2.example.com\n"
                "    endpoint: https://e3.example.com\n")
    write("regions", "official", b"\0" + official.encode())
    write("regions", "official-cn", b"\1" + official.encode())
    write("regions", "flow", b"\0hss: [{id: xx-custom-1, endpoints: [' https://a ', \"https://b\"], endpoint: ~}]\n")
    write("regions", "anchors", b"\0" + b"ECS: &a [1, 2]\nHSS:\n  - id: xx-custom-1\n    endpoints: *a\n")
    write("regions", "other-services", b"\2" + b"ECS:\n  x: {y: [1, {z: 2}]}\nHSS: []\n---\nHSS: []\n")
    write("regions", "not-yaml", b"\0" + b"HSS:\n  - id: [\n\t\xff")

    # signing: the algorithm (0-4), the time (4 bytes), then AK, SK, region, service, path, value, token.
    for algorithm in range(5):
        fields = [ak, sk, "cn-north-4", "hss", "/v5/p1/image/registries/image-upload-command", "P@ss w/ord", "ST"]
        write("signing", "algorithm-%d" % algorithm,
              bytes([algorithm]) + struct.pack("<I", 1764424800) + b"\0".join(f.encode() for f in fields))
    write("signing", "short-sk", b"\2" + struct.pack("<I", 0) + b"A\0\x00")
    write("signing", "binary-sk", b"\3" + struct.pack("<I", 4102444800) + b"AK\0\xff\xfe\x01\0r\0s\0/a%2Fb\0\0")

    # dates: a byte for the retry policy, a raw time (also the clocks' offsets), then the text.
    for name, text in {"imf": "Sun, 06 Nov 1994 08:49:37 GMT", "imf-feb-31": "Mon, 31 Feb 2025 23:59:60 GMT",
                       "seconds": "120", "expiry-offset": "2026-01-02T03:04:05.123456789+08:00",
                       "expiry-space": "2026-01-02 03:04:05z", "expiry-negative": "1969-12-31T23:59:59-23:59"}.items():
        write("dates", name, dates_input(text, choice=7))
    # The clock: a Date at the edges of the calendar, corrected from just within or just beyond a day,
    # then read when fresh, stale (over 15 minutes) or after the wall clock was stepped (over 2 s).
    stale, stepped, full = (900_001 << 42), (600 << 52), (1 << 63)
    for name, text in {"hostile-year": "Mon, 01 Jan -999 00:00:00 GMT",
                       "year-minus-one": "Mon, 01 Jan -001 00:00:00 GMT",
                       "year-zero": "Sat, 01 Jan 0000 00:00:00 GMT", "year-9999": "Fri, 31 Dec 9999 23:59:60 GMT",
                       "epoch": "Thu, 01 Jan 1970 00:00:00 GMT", "imf-now": "Sun, 29 Nov 2026 15:45:59 GMT"}.items():
        for clock, raw in {"within": DAY + 4 + DAY, "beyond": 0, "stale": DAY + 4 + stale,
                           "stepped": DAY + 4 - 60 + stepped, "far": full | 0xFFFF0000}.items():
            write("dates", "%s-%s" % (name, clock), dates_input(text, raw=raw))
    for name, raw in {"time-min": 1 << 63, "time-max": (1 << 63) - 1, "time-minus-one": (1 << 64) - 1,
                      "time-year-10000": 253_402_300_800, "time-year-minus-999": -93_692_592_000}.items():
        write("dates", name, dates_input("", raw=raw))


if __name__ == "__main__":
    main()
