#!/usr/bin/env python3
"""Generate Tests/vectors/signing.json: SDK-HMAC-SHA256 known-answer vectors for
ShowImageUploadCommand, computed by the OFFICIAL Huawei Cloud Python signer
(huaweicloudsdkcore==3.1.219), which is used here purely as an oracle.

    make venv && .venv/bin/python Tests/vectors/generate.py

Deterministic: fixed inputs only, so re-running gives a byte-identical file.
See Tests/vectors/README.md for the schema.
"""

import base64
import hashlib
import json
import os
import sys
from urllib.parse import quote

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulator"))
from official_sdk import scratch_home  # noqa: E402

with scratch_home():
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "signing.json")
RESOURCE = "/v5/{project_id}/image/registries/image-upload-command"

DEFAULT_HOST = "hss.cn-north-4.myhuaweicloud.com"
DEFAULT_DATE = "20240101T000000Z"
DEFAULT_UA = "huaweicloud-usdk-python/3.0"
DEFAULT_AK, DEFAULT_SK = "AKEXAMPLE", "SKEXAMPLE"
DOC_QUERY = [("registry_addr", "myharbor.com:443"), ("namespace", "ns 1~/é"),
             ("username", "admin"), ("password", "p@ss+w/rd=&")]
DOC_SIGNATURE = "4bab213d0a1b1d70487443d4b5c7494d1727e97432835f9f147e7208bf47779b"

# A long, deterministic STS-like token containing '+', '/' and '='.
LONG_TOKEN = base64.b64encode(b"".join(hashlib.sha256(b"token-%d" % i).digest() for i in range(64)) + b"xy").decode()
assert "+" in LONG_TOKEN and "/" in LONG_TOKEN and LONG_TOKEN.endswith("=")


def fit(prefix: str, filler: str, n: int) -> str:
    """prefix + filler repeated, cut to exactly n code points."""
    s = prefix + filler * n
    return s[:n]


def query(registry_addr, namespace, username, password, enterprise_project_id=None):
    q = [("registry_addr", registry_addr), ("namespace", namespace),
         ("username", username), ("password", password)]
    if enterprise_project_id is not None:
        q.append(("enterprise_project_id", enterprise_project_id))
    return q


def case(name, q=None, project_id="pid123", host=DEFAULT_HOST, date=DEFAULT_DATE, ak=DEFAULT_AK,
         sk=DEFAULT_SK, user_agent=DEFAULT_UA, content_type="application/json", token=None,
         x_project_id=None, extra_headers=(), lower_names=False):
    headers = [("Content-Type", content_type), ("User-Agent", user_agent),
               ("X-Project-Id", project_id if x_project_id is None else x_project_id),
               ("X-Sdk-Date", date)]
    if token is not None:
        headers.append(("X-Security-Token", token))
    headers.extend(extra_headers)
    if lower_names:
        headers = [(k.lower(), v) for k, v in headers]
    return {"name": name, "q": q or list(DOC_QUERY), "project_id": project_id, "host": host,
            "headers": headers, "ak": ak, "sk": sk, "date": date}


CASES = [
    case("api-doc-example"),
    case("api-doc-example-with-enterprise-project",
         q=DOC_QUERY + [("enterprise_project_id", "all_granted_eps")]),
    case("enterprise-project-given-first",
         q=[("enterprise_project_id", "0")] + DOC_QUERY),
    case("query-given-in-reverse-order", q=list(reversed(DOC_QUERY))),
    case("unicode-cjk", q=query("镜像仓库.example.com:5000", "命名空间", "用户名", "密码パスワード비밀번호")),
    case("unicode-emoji", q=query("reg.example.com", "ns😀", "👩‍💻dev", "🔑🔐🗝️pw")),
    case("unicode-combining-vs-precomposed",
         q=query("reg.example.com", "e\u0301", "\u00e9", "a\u0308o\u0308\u20dd")),
    case("reserved-ascii-in-values",
         q=query("reg.example.com:443", "!#$&'()*+,/:;=?@[]%", "a=b&c=d", "!#$&'()*+,/:;=?@[]%")),
    case("unsafe-ascii-space-tilde",
         q=query("reg.example.com", '"<>\\^`{|}', "user name ~", ' "<>\\^`{|} ~ ')),
    case("all-printable-ascii",
         q=query("reg.example.com", "ns", "user", "".join(chr(c) for c in range(0x20, 0x7F)))),
    case("pre-encoded-lookalikes", q=query("a%2Fb%20c", "%%", "+", "%41%2B%7E")),
    case("control-characters", q=query("reg.example.com", "tab\there", "new\nline", "del\x7fcr\r")),
    case("one-char-values", project_id="p", q=query("r", "n", "u", "=")),
    case("max-length-ascii",
         project_id=fit("", "0123456789abcdef", 256),
         q=query(fit("registry.example.com:", "r", 256), fit("", "n", 128), fit("", "u", 128),
                 fit("", "Pw1!", 128))),
    case("max-length-multibyte",
         project_id=fit("proj-", "é项😀", 256),
         q=query(fit("reg-", "é项😀", 256), fit("ns-", "ü中🚀", 128), fit("u-", "ñ文🎉", 128),
                 fit("p-", "ß字🔑", 128))),
    case("security-token-long", token=LONG_TOKEN),
    case("security-token-enterprise-project-port", host="127.0.0.1:8443", token=LONG_TOKEN,
         q=DOC_QUERY + [("enterprise_project_id", "all_granted_eps")]),
    case("host-with-port", host="127.0.0.1:8443"),
    case("host-ipv6-with-port", host="[::1]:8443"),
    case("host-eu-region", host="hss.eu-west-101.myhuaweicloud.eu",
         project_id="0123456789abcdef0123456789abcdef"),
    case("sk-unicode", sk="秘密キー🔑é"),
    case("sk-long-over-hmac-block", sk=fit("SK", "0123456789ABCDEFGHIJ", 200)),
    case("sk-exactly-64-bytes", sk=fit("", "abcdefgh", 64), ak="AK64"),
    # Only User-Agent/X-Project-Id are padded: a padded Content-Type trips an SDK quirk (it
    # tests startswith("application/json") BEFORE trimming and then adds and signs
    # X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD), which is not behaviour worth copying.
    case("header-values-trimmed", user_agent="  libhss/0.1 (test)\t ", x_project_id="  pid123  "),
    case("content-type-with-charset", content_type="application/json;charset=UTF-8"),
    case("realistic-sdk-user-agent",
         user_agent="huaweicloud-usdk-python/3.0; os/Linux#6.1.0#x86_64 python/3.11.7 impl/CPython; "
                    "app/00000000-0000-4000-8000-000000000000"),
    case("lower-case-header-names", lower_names=True),
    case("unsigned-underscore-header", extra_headers=[("X_Unsigned_Header", "not signed")]),
    case("unicode-project-id-and-header", project_id="项目à", x_project_id="项目à"),
    case("ipv6-registry-addr", q=query("[2001:db8::1]:5000", "library", "robot$ci", "s3cr3t")),
    case("date-leap-day", date="20240229T235959Z"),
    case("date-far-future", date="20991231T235959Z"),
    case("date-epoch", date="19700101T000000Z"),
]


def make_request(c) -> SdkRequest:
    return SdkRequest(method="GET", schema="https", host=c["host"],
                      resource_path=RESOURCE.replace("{project_id}", quote(c["project_id"], safe="")),
                      query_params=list(c["q"]), header_params=dict(c["headers"]), body=None)


def wire_text(v: str) -> str:
    # The signer rewrites header values as the latin-1 view of their UTF-8 bytes (that is
    # what requests then puts on the wire); turn them back into text for the JSON file.
    try:
        return v.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return v


def run(c) -> dict:
    creds = BasicCredentials(c["ak"], c["sk"])
    req = make_request(c)
    signer = Signer(creds)

    # Each stage through the signer's own methods, in the order Signer.sign() uses them.
    signer._process_content_header(req)
    t = signer._process_header_time(req)
    signer._process_header_host(req)
    signed_headers = signer._process_signed_headers(req)
    canonical_request = signer._process_canonical_request(req, signed_headers)
    string_to_sign = signer._process_string_to_sign(canonical_request, t)
    signature = signer._sign_string_to_sign(string_to_sign, c["sk"])
    authorization = signer._process_auth_header_value(signature, c["ak"], signed_headers)
    canonical_query = Signer.process_canonical_query_string(req)
    canonical_uri = signer._process_canonical_uri(req)

    # Cross-check: the one-shot sign() must agree, and gives what is actually sent.
    sent = Signer(creds).sign(make_request(c))
    assert sent.header_params["Authorization"] == authorization, c["name"]
    assert sent.uri == sent.resource_path + "?" + canonical_query, c["name"]

    return {
        "name": c["name"],
        "method": "GET",
        "host": c["host"],
        "project_id": c["project_id"],
        "path": sent.resource_path,
        "query": [[k, v] for k, v in c["q"]],
        "headers": [[k, v] for k, v in c["headers"]],
        "ak": c["ak"],
        "sk": c["sk"],
        "sdk_date": c["date"],
        "expected": {
            "canonical_uri": canonical_uri,
            "canonical_query": canonical_query,
            "signed_headers": ";".join(signed_headers),
            "canonical_request": canonical_request,
            "string_to_sign": string_to_sign,
            "signature": signature,
            "authorization": authorization,
            "request_target": sent.uri,
            "sent_headers": [[k, wire_text(v)] for k, v in sent.header_params.items()],
        },
    }


def main() -> int:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    vectors = [run(c) for c in CASES]

    doc = vectors[0]
    assert doc["name"] == "api-doc-example"
    assert doc["expected"]["signature"] == DOC_SIGNATURE, doc["expected"]["signature"]
    assert doc["expected"]["signed_headers"] == "content-type;host;user-agent;x-project-id;x-sdk-date"
    assert doc["expected"]["canonical_query"] == (
        "namespace=ns%201~%2F%C3%A9&password=p%40ss%2Bw%2Frd%3D%26"
        "&registry_addr=myharbor.com%3A443&username=admin")

    # The max-length cases really are at the limits (code points).
    for v in vectors:
        if v["name"].startswith("max-length"):
            q = dict(v["query"])
            assert (len(v["project_id"]), len(q["registry_addr"]), len(q["namespace"]),
                    len(q["username"]), len(q["password"])) == (256, 256, 128, 128, 128), v["name"]
    assert len(vectors) >= 24

    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(vectors, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
