"""Answers a hostile or broken server can send, and the status each one gets through the C API.

A raw-socket server on 127.0.0.1 reads each request, sends scripted bytes and closes the
connection (or resets it). hss.h's contract: anything the peer sends that libhss cannot use is
HSS_E_BAD_RESPONSE, transport breakage (reset, closed, refused) is HSS_E_NETWORK;
HSS_E_INTERNAL and HSS_E_OUT_OF_MEMORY are only for libhss's own failures.
"""

import json
import socket
import struct
import threading

import pytest
from test_c_api import expect_env

# A valid success body, so that in the cases below only the named fault is wrong.
SUCCESS = json.dumps({"image_command": "docker login", "images_download_url": "https://example.invalid/x.tar",
                      "swr_image_pull_command": "docker pull x"}).encode()


def answer(status_line: bytes, headers: list = (), body: bytes = SUCCESS, length: int | None = None) -> bytes:
    """A response: the status line, these header lines, Content-Length (of body unless given), body."""
    head = [status_line, *headers, b"Content-Length: %d" % (len(body) if length is None else length)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def chunked(chunks: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks


RESET = object()  # the script for "reset the connection (SO_LINGER 0) without an answer"

# name: (script, expected status). The comments give what libcurl 7.88 reports for each.
CASES = {
    # Over-long header or status lines (CURLE_OUT_OF_MEMORY: libcurl's 100 KB line limit), a huge
    # chunked trailer, headers over 300 KB in all (both CURLE_RECV_ERROR, with errno 0).
    "header_line_1mb": (answer(b"HTTP/1.1 200 OK", [b"X-Big: " + b"a" * (1 << 20)]), "HSS_E_BAD_RESPONSE"),
    "status_line_1mb": (answer(b"HTTP/1.1 200 " + b"O" * (1 << 20)), "HSS_E_BAD_RESPONSE"),
    "chunked_trailer_1mb": (chunked(b"%x\r\n%s\r\n0\r\nX-T: %s\r\n\r\n" % (len(SUCCESS), SUCCESS, b"t" * (1 << 20))),
                            "HSS_E_BAD_RESPONSE"),
    "headers_300kb_in_many_lines": (answer(b"HTTP/1.1 200 OK",
                                           [b"X-Filler-%04d: %s" % (i, b"b" * 1000) for i in range(320)]),
                                    "HSS_E_BAD_RESPONSE"),
    # No usable status line (CURLE_UNSUPPORTED_PROTOCOL: "Received HTTP/0.9 when not allowed",
    # "Unsupported HTTP version", "Unsupported response code").
    "http09": (SUCCESS, "HSS_E_BAD_RESPONSE"),
    "100_continue_then_garbage": (b"HTTP/1.1 100 Continue\r\n\r\nthis is not HTTP\r\n\r\n", "HSS_E_BAD_RESPONSE"),
    "100_continue_then_body": (b"HTTP/1.1 100 Continue\r\n\r\n" + SUCCESS, "HSS_E_BAD_RESPONSE"),
    "status_line_malformed": (answer(b"HTTP/1.1 abc"), "HSS_E_BAD_RESPONSE"),
    "http_version_unknown": (answer(b"HTTP/7.0 200 OK"), "HSS_E_BAD_RESPONSE"),
    "status_code_4_digits": (answer(b"HTTP/1.1 1000 Odd"), "HSS_E_BAD_RESPONSE"),
    "http2_frames_to_http1": (b"\x00\x00\x12\x04\x00\x00\x00\x00\x00" + bytes(18), "HSS_E_BAD_RESPONSE"),
    # A status libhss has no use for (libcurl: OK).
    "status_999": (answer(b"HTTP/1.1 999 Odd"), "HSS_E_BAD_RESPONSE"),
    "101_switching_protocols": (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"
                                + SUCCESS, "HSS_E_BAD_RESPONSE"),
    # Bad header lines (CURLE_WEIRD_SERVER_REPLY).
    "nul_in_header": (answer(b"HTTP/1.1 200 OK", [b"X-A: a\0b"]), "HSS_E_BAD_RESPONSE"),
    "header_without_colon": (answer(b"HTTP/1.1 200 OK", [b"no colon here"]), "HSS_E_BAD_RESPONSE"),
    # A CR before a header's colon: libcurl's header store refuses the line with
    # CURLE_BAD_FUNCTION_ARGUMENT (found by the answer fuzz target; it was HSS_E_INTERNAL).
    "cr_inside_header_name": (answer(b"HTTP/1.1 200 OK", [b"X-A\rB: c"]), "HSS_E_BAD_RESPONSE"),
    "content_length_negative": (answer(b"HTTP/1.1 200 OK", length=-5), "HSS_E_BAD_RESPONSE"),
    # Bad chunked encoding (CURLE_RECV_ERROR, errno 0), bad transfer encodings (CURLE_BAD_CONTENT_ENCODING).
    "chunked_bad_size": (chunked(b"zz\r\n" + SUCCESS + b"\r\n0\r\n\r\n"), "HSS_E_BAD_RESPONSE"),
    "chunked_size_overflow": (chunked(b"ffffffffffffffffff\r\n" + SUCCESS + b"\r\n0\r\n\r\n"), "HSS_E_BAD_RESPONSE"),
    "transfer_encoding_unknown": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: bogus\r\n\r\n" + SUCCESS,
                                  "HSS_E_BAD_RESPONSE"),
    "transfer_encoding_gzip_garbage": (chunked(b"5\r\nabcde\r\n0\r\n\r\n").replace(b"chunked", b"gzip, chunked"),
                                       "HSS_E_BAD_RESPONSE"),
    # A Content-Encoding libhss did not ask for: libcurl passes the body on undecoded (OK), and it
    # is not JSON.
    "content_encoding_not_asked": (answer(b"HTTP/1.1 200 OK", [b"Content-Encoding: gzip"],
                                          b"\x1f\x8b\x08\x00garbage, not gzip"), "HSS_E_BAD_RESPONSE"),
    # Transport breakage: the peer went away, at any point (CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
    # CURLE_RECV_ERROR with errno ECONNRESET). A cut transfer is transport breakage.
    "closed_before_any_byte": (b"", "HSS_E_NETWORK"),
    "closed_after_100_continue": (b"HTTP/1.1 100 Continue\r\n\r\n", "HSS_E_NETWORK"),
    "closed_after_headers": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", "HSS_E_NETWORK"),
    "closed_inside_a_chunk": (chunked(b"100\r\nabc"), "HSS_E_NETWORK"),
    "body_shorter_than_content_length": (answer(b"HTTP/1.1 200 OK", body=SUCCESS[:10], length=len(SUCCESS)),
                                         "HSS_E_NETWORK"),
    "reset": (RESET, "HSS_E_NETWORK"),
}


class HostileServer:
    """Listens on 127.0.0.1; for each connection reads the request head, then sends `script`
    (bytes) and closes, or resets the connection if script is RESET."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.script = b""
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed: the end
                return
            threading.Thread(target=self._serve, args=(conn, self.script), daemon=True).start()

    @staticmethod
    def _serve(conn, script):
        with conn:
            conn.settimeout(10)
            try:
                request = b""
                while b"\r\n\r\n" not in request:  # a GET has no body: the head is all of it
                    data = conn.recv(65536)
                    if not data:
                        return
                    request += data
                if script is RESET:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                conn.sendall(script)
                conn.shutdown(socket.SHUT_WR)
            except OSError:  # the client gave up first (e.g. on a huge header): fine
                pass

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not, on Linux)
        self.sock.close()


@pytest.fixture(scope="module")
def hostile_server():
    server = HostileServer()
    yield server
    server.close()


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_answer_status(hss_c, hostile_server, name):
    script, status = CASES[name]
    hostile_server.script = script
    env = {"HSS_TEST_ENDPOINT": hostile_server.endpoint, "HSS_TEST_TIMEOUT_MS": 5000, **expect_env(status)}
    r = hss_c.run("call", env, timeout=60).check()
    assert len(r.errors) == 1, r.describe()


# ----------------------------------------------------------------------------- hostile dates (issue 20.1)

def expired_signature(date: bytes) -> bytes:
    """The gateway's 401 APIGW.0303 (an expired signature), dated `date`: the clock-skew path."""
    body = json.dumps({"error_code": "APIGW.0303", "error_msg": "Incorrect IAM authentication information: "
                       "x-sdk-date is expired", "request_id": "0" * 32}).encode()
    return answer(b"HTTP/1.1 401 Unauthorized", [b"Date: " + date, b"Content-Type: application/json"], body)


# Dates no gateway sends: negative, zero and far years, signs and spaces where digits belong. Before
# 1.1.1 a negative year killed the calling process (a trap formatting X-Sdk-Date).
HOSTILE_DATES = [b"Mon, 01 Jan -999 00:00:00 GMT", b"Mon, 01 Jan -001 00:00:00 GMT",
                 b"Sat, 01 Jan 0000 00:00:00 GMT", b"Mon, 01 Jan 1900 00:00:00 GMT",
                 b"Fri, 31 Dec 9999 23:59:59 GMT", b"Mon, 01 Jan +999 00:00:00 GMT",
                 b"Mon, +1 Jan 2024 -1:00:00 GMT", b"Mon, 01 Jan 2024 00:00:60 GMT"]


@pytest.mark.parametrize("date", HOSTILE_DATES, ids=[d.decode() for d in HOSTILE_DATES])
@pytest.mark.parametrize("service", ["hss", "iam"])
def test_an_expired_signature_with_any_date_is_an_error_not_a_crash(hss_c, hostile_server, service, date):
    """The answer's Date cannot move the signing clock outside a day of ours, and no Date can stop
    the process: the call reports the gateway's refusal, through HSS and through IAM's project lookup."""
    hostile_server.script = expired_signature(date)
    env = {"HSS_TEST_ENDPOINT": hostile_server.endpoint, "HSS_TEST_TIMEOUT_MS": 5000, "HSS_TEST_MAX_ATTEMPTS": 1,
           **expect_env("HSS_E_HTTP_CLIENT", http=401, code="APIGW.0303")}
    if service == "iam":
        env.update({"HSS_TEST_PROJECT_ID": None, "HSS_TEST_REGION": "cn-north-4",
                    "HSS_TEST_IAM_ENDPOINT": hostile_server.endpoint, "HSS_TEST_EXPECT_REQUEST_ID": "0" * 32})
    r = hss_c.run("call", env, timeout=60).check()
    assert len(r.errors) == 1, r.describe()
