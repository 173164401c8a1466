"""hss-emulator: the emulator as a command (hss-emulator(1)). Prints one line,
`HSS_EMULATOR_ENDPOINT=<url>`, once listening (with --print-env also the client's environment as
`export NAME=value` lines), then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading

from . import faults, hss_api, routes
from .emulator import DEFAULT_REGION, ENV_MODES, Emulator
from .server import DEFAULT_AK, DEFAULT_SK, DEFAULT_TOKEN


def _epilog() -> str:
    table = "\n".join("  %-22s %-6s %s" % (r.name, r.method, r.template) for r in routes.ROUTES)
    behaviours = "\n".join("  %-18s %s" % item for item in hss_api.BEHAVIOURS.items())
    return """\
keys: AK/SK {ak}:{sk} (every signing algorithm: SDK-HMAC-SHA256, SDK-HMAC-SM3,
SDK-ECDSA-P256-SHA256, SDK-SM2-SM3, V11-HMAC-SHA256), X-Auth-Token {token}; --credentials and
--token replace them.

routes (anything else: 404 APIGW.0101):
{table}
  (no auth)              GET    /_emulator/stats[?reset=1][&routes=1]

project ids that make the HSS route misbehave:
{behaviours}

--print-env modes: keys (endpoint, region, IAM, project id, AK/SK) and metadata (endpoint,
region, IAM and the metadata service: no keys, the client's default chain fetches them).

error codes: the gateway's (APIGW.0101, APIGW.0301, APIGW.0303, APIGW.0307, APIG.0308...) and
HSS.0004 for a bad parameter; scripted answers (in process) default to {codes}.
Details: man hss-emulator.""".format(ak=DEFAULT_AK, sk=DEFAULT_SK, token=DEFAULT_TOKEN, table=table,
                                     behaviours=behaviours, codes=", ".join(
                                         "%d %s" % (s, c) for s, (c, _) in sorted(faults.ERRORS.items())))


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hss-emulator", formatter_class=argparse.RawDescriptionHelpFormatter,
                                 description="A local emulator of Huawei Cloud HSS ShowImageUploadCommand, "
                                             "with IAM, the ECS metadata service, CCE pod identity and STS.",
                                 epilog=_epilog())
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    ap.add_argument("--print-env", nargs="?", const="keys", choices=ENV_MODES, metavar="MODE",
                    help="also print the environment a client needs: keys (default) or metadata")
    ap.add_argument("--region", default=DEFAULT_REGION, help="the region of --print-env (default %(default)s)")
    ap.add_argument("--port-file", metavar="FILE", help="write the port to FILE once listening")
    # action="extend": both `--credentials A:B C:D` and `--credentials A:B --credentials C:D` work
    ap.add_argument("--credentials", nargs="+", action="extend", metavar="AK:SK",
                    help="accepted AK/SK pairs (default %s:%s)" % (DEFAULT_AK, DEFAULT_SK))
    ap.add_argument("--token", nargs="+", action="extend", metavar="TOKEN",
                    help="accepted X-Auth-Token values (default %s)" % DEFAULT_TOKEN)
    ap.add_argument("--identity", type=json.loads, metavar="JSON",
                    help='identity services\' settings, e.g. \'{"projects": {"cn-north-4": ["p1"]}}\'')
    ap.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (chain)")
    ap.add_argument("--tls-key", metavar="PEM", help="... and this key")
    ap.add_argument("--clock-offset", type=float, default=0.0, metavar="SECONDS",
                    help="run the server's clock this far ahead (negative: behind)")
    ap.add_argument("--verbose", action="store_true", help="log each request's method and path (never the query)")
    return ap


def _write_port_file(path: str, port: int):
    tmp = "%s.tmp.%d" % (path, os.getpid())  # write, then rename: readers never see half a file
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        emu = Emulator(host=args.host, port=args.port, credentials=args.credentials, tokens=args.token,
                       identity=args.identity, tls_cert=args.tls_cert, tls_key=args.tls_key, region=args.region,
                       clock_offset=args.clock_offset, verbose=args.verbose, record=False)
    except (OSError, ValueError, TypeError) as e:  # ssl.SSLError is an OSError
        print("hss-emulator: %s" % e, file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with emu:
        if args.port_file:
            _write_port_file(args.port_file, emu.port)
        lines = ["HSS_EMULATOR_ENDPOINT=%s" % emu.endpoint]
        if args.print_env:
            lines += ["export %s=%s" % (k, shlex.quote(v)) for k, v in emu.env(args.print_env).items()]
        print("\n".join(lines), flush=True)
        while not stop.wait(0.1):
            pass
    return 0
