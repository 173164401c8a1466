"""libhss and libcurl never disagree about whether an http:// request goes through a proxy (issue 20).

A generated differential test: for each (no_proxy list, host, where the settings come from) case,
Tests/c/noproxy_diff.c sends an http:// request through the system libcurl alone, with the proxy set
to a recording proxy on 127.0.0.1 (Tests/proxy_server.py), then asks libhss (hss_client_new with the
same endpoint and settings) and, when libhss lets the request through, makes one real libhss call.
Whether the proxy saw each request decides what libcurl did.

Must hold: when libhss lets an http:// request through, neither libcurl alone nor libhss's own call
reaches the proxy. libhss may refuse a request that libcurl would send directly (an entry it does
not read): those pairs are the conservative cost, counted and printed (pytest -s), and bounded from
below by the cases libhss must exempt.

Hosts resolve to loopback or not at all (names under .test, .example, .invalid and .localhost fail
at once in the loopback guard), so a direct request never leaves 127.0.0.0/8 or ::1; the proxy
answers any name itself (403) without resolving it.
"""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

C_SOURCE = Path(__file__).resolve().parent / "c" / "noproxy_diff.c"

NAME_HOSTS = ["x.test", "a.x.test", "b.a.x.test", "ax.test", "X.Test", "hss.cn-north-4.example",
              "HSS.CN-North-4.Example", "localhost", "api.localhost", "foo.invalid", "1a.test", "123.test",
              "0x1.test", "x-y.test", "test.test", "a.b.c.d.e.test"]
IPV4_HOSTS = ["127.0.0.1", "127.0.0.2", "127.1.2.3", "127.255.255.254", "127.0.1.1", "127.10.0.1"]
# Numbers libcurl rewrites to 127.0.0.1 before it looks at no_proxy.
NUMERIC_HOSTS = ["127.1", "0x7f.1", "2130706433", "0177.0.0.1", "127.0.1", "0x7f000001", "127.000.000.001"]
IPV6_HOSTS = ["[::1]", "[0:0::1]", "[0000:0000:0000:0000:0000:0000:0000:0001]", "[::ffff:127.0.0.1]",
              "[::FFFF:7f00:1]"]
HOSTS = NAME_HOSTS + IPV4_HOSTS + NUMERIC_HOSTS + IPV6_HOSTS

# The review's examples (with x.test for x.com: a direct request must not resolve a real name).
REVIEW_LISTS = ["[::1]", "x.test,*", "*,", " *", "1", "0.1", ".0.0.1"]
TOKENS = ["*", "x.test", ".x.test", "a.x.test", "X.TEST", ".TEST", "test", "localhost", ".localhost", "example",
          "x.test.", ".x.test.", "*.x.test", "*x.test", "x", ".", "..", "[::1]", "::1", "0:0::1",
          "::ffff:127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.0/8", "127.0.0.1/32", "127.0.0.0/24",
          "127.0.0.0/0", "127.0.0.1/33", "127.0.0.1/", "127.0.0.1/8x", "127.0.0.0/08", "10.0.0.0/8", "127.1", "1",
          "0.1", ".0.0.1", "0.0.1", "127.000.0.1", "0x7f.0.0.1", "2130706433", "127.0.0.1:80", "x.test:8080",
          "http://x.test", "x.test/", "a.x", "cn-north-4.example", ".example", "invalid", "foo.invalid",
          "LOCALHOST", "1a.test", "123.test", "*.test", "x_y.test", "127.0.0.1/16"]
SEPARATORS = [",", ", ", " , ", ",,", " ", "\t", ",\t", " ,"]
EDGES = ["", "", "", " ", ",", "\t", " ,"]
# Where the proxy and no_proxy come from: P is the proxy's URL, L the list, E "" (noproxy_diff.c).
ENV_MODES = ["env:http_proxy=P:no_proxy=L", "env:http_proxy=P:NO_PROXY=L", "env:all_proxy=P:no_proxy=L",
             "env:ALL_PROXY=P:NO_PROXY=L", "env:http_proxy=P:no_proxy=E:NO_PROXY=L",
             "env:HTTP_PROXY=P:all_proxy=P:no_proxy=L", "env:https_proxy=P:no_proxy=L"]

# What libhss must let through (the cost must not be everything): no_proxy, host.
MUST_EXEMPT = [("x.test", "x.test"), (".x.test", "a.x.test"), ("x.test", "b.a.x.test"), ("X.TEST", "x.test"),
               ("x.test", "X.Test"), ("localhost", "localhost"), ("127.0.0.1", "127.0.0.1"),
               ("127.0.0.0/8", "127.1.2.3"), ("127.0.0.1/32", "127.0.0.1"), ("*", "[::1]"), ("*", "127.1"),
               ("*", "x.test"), ("foo.test, x.test", "x.test"), ("x.test,,", "x.test"), ("\tx.test ", "x.test"),
               ("[::1],x.test", "x.test"), ("*.x.test,.x.test", "a.x.test")]


def random_token(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(TOKENS)
    host = rng.choice(HOSTS).strip("[]")
    labels = host.split(".")
    token = ".".join(labels[rng.randrange(len(labels)):])  # the host or one of its suffixes
    if rng.random() < 0.3:
        token = "".join(c.upper() if rng.random() < 0.5 else c for c in token)
    if rng.random() < 0.25:
        token = "." + token
    if rng.random() < 0.1:
        token += "."
    if rng.random() < 0.1:
        token = "[%s]" % token
    if rng.random() < 0.1:
        token += ":%d" % rng.choice([80, 8080])
    if rng.random() < 0.1:
        token = "*." + token
    if rng.random() < 0.15:
        token += "/%d" % rng.choice([0, 1, 8, 16, 24, 31, 32, 33])
    return token


def random_list(rng: random.Random) -> str:
    tokens = [random_token(rng) for _ in range(rng.randrange(6))]
    text = ""
    for i, token in enumerate(tokens):
        text += (rng.choice(SEPARATORS) if i else "") + token
    return rng.choice(EDGES) + text + rng.choice(EDGES)


def generate_cases() -> list:
    """(no_proxy, host, mode) triples: the review's lists and every token alone against every
    host, the must-exempt pairs, and random lists (a fixed seed: the same cases every run).
    A list with a tab comes from the environment: the no_proxy option refuses control
    characters (as noproxy_diff.c's "opt" mode passes no list at all for "")."""
    rng = random.Random(20)

    def case(text, host, environment=False):
        return (text, host, rng.choice(ENV_MODES) if environment or "\t" in text else "opt")

    cases = [case(text, host) for text in REVIEW_LISTS for host in HOSTS]
    cases += [case(token, rng.choice(HOSTS)) for token in TOKENS for _ in range(3)]
    cases += [case(text, host) for text, host in MUST_EXEMPT]
    while len(cases) < 1500:
        cases.append(case(random_list(rng), rng.choice(HOSTS), rng.random() < 0.25))
    return cases


def encode(text: str) -> str:
    return "x" + text.encode().hex()


def test_libhss_never_lets_through_what_libcurl_would_proxy(build_c, lib_dir, loopback_env, proxy_server,
                                                             closed_port):
    exe = build_c(C_SOURCE, extra=("-lcurl",))
    cases = generate_cases()
    stdin = "".join("%d %s %s %s\n" % (i, mode, encode(text), encode(host))
                    for i, (text, host, mode) in enumerate(cases))
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(lib_dir), "LC_ALL": "C", **loopback_env}
    proc = subprocess.run([str(exe), proxy_server.url, str(closed_port)], input=stdin.encode(), env=env,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == len(cases), proc.stderr.decode(errors="replace")

    seen_curl, seen_hss = set(), set()
    for record in proxy_server.requests:
        if m := re.search(r"/curl/(\d+) HTTP/", record["line"]):
            seen_curl.add(int(m.group(1)))
        if m := re.search(r"[?&]namespace=hss-(\d+)(&| )", record["line"]):
            seen_hss.add(int(m.group(1)))

    exempt, leaks, cost, unexpected = set(), [], [], []
    for line in lines:
        fields = line.split()
        i = int(fields[0])
        result = dict(f.split("=", 1) for f in fields[1:])
        text, host, mode = cases[i]
        described = "no_proxy=%r host=%s %s: %s" % (text, host, mode, line)
        # The proxy answers everything (403, 502): libcurl's request succeeded iff it went there.
        if (result["curl"] == "0") != (i in seen_curl):
            unexpected.append("the proxy's record and libcurl disagree: " + described)
        if result["new"] == "HSS_OK":
            exempt.add(i)
            if i in seen_curl or i in seen_hss:
                leaks.append(described)
            elif result["call"] != "HSS_E_NETWORK":  # sent directly to a port nobody listens on
                unexpected.append("libhss's direct call: " + described)
        elif result["kind"] != "cleartext":
            unexpected.append("hss_client_new refused for another reason: " + described)
        elif i not in seen_curl:
            cost.append(described)

    assert not leaks, "libhss let through what libcurl sends to the proxy:\n" + "\n".join(leaks[:40])
    assert not unexpected, "\n".join(unexpected[:40])
    assert not seen_hss - exempt, "a refused client reached the proxy"
    must = [i for i, (text, host, mode) in enumerate(cases) if (text, host) in MUST_EXEMPT]
    missed = [cases[i] for i in must if i not in exempt]
    assert not missed, "libhss refuses what it must let through: %r" % missed
    print("\nno_proxy differential: %d cases, libcurl direct in %d, libhss lets through %d; "
          "conservative cost (refused, libcurl direct): %d" % (len(cases), len(cases) - len(seen_curl), len(exempt),
                                                             len(cost)))
    for described in cost[:15]:
        print("  refused, libcurl direct: " + described)
