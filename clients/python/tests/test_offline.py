"""The client's own logic, without a gateway: the error table against the gateway's sources
(src/errors.ts, src/http/error-status.ts), the result CSV parser, and the transport's retry and
failure rules against scripted HTTP answers (a busy gateway, a dropped or silent connection),
which a real gateway cannot be made to give on demand."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

import _support  # noqa: F401  (puts the package on sys.path)

from fmu_gateway import (
    Client,
    DiskFull,
    FmuInvalid,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidInput,
    NotFound,
    PaymentError,
    PaymentRequired,
    ProtocolError,
    RetryableError,
    ServerBusy,
    ServiceUnavailable,
    SimulationError,
    StoreUnavailable,
    Unauthorized,
    error_from_response,
)
from fmu_gateway import errors as errors_module
from fmu_gateway.models import ResultTable

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def body(code: str, message: str = "m", data: Optional[Dict[str, Any]] = None, hint: Optional[str] = None) -> bytes:
    err: Dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    if hint is not None:
        err["hint"] = hint
    return json.dumps({"detail": message, "error": err}).encode()


class ErrorTable(unittest.TestCase):
    def test_a_402_carries_the_checkout_x402_and_credit_packs(self) -> None:
        payment = {
            "status": "payment_required",
            "amount": 1,
            "currency": "usd",
            "checkout_url": "https://pay.example/c/cs_test_1",
            "session_id": "cs_test_1",
            "expires_at": "2030-01-01T00:00:00Z",
            "methods": ["stripe_checkout", "x402"],
            "next_steps": ["open", "redeem", "retry"],
            "x402Version": 2,
            "resource": {"url": "fmu-gateway://tools/simulate"},
            "accepts": [{"scheme": "exact", "network": "eip155:8453", "amount": "10000"}],
            "credits": {"balance": 0, "packs": [{"pack": "10", "runs": 10, "amount_cents": 800, "currency": "usd"}]},
        }
        e = error_from_response(402, json.dumps(payment).encode())
        assert isinstance(e, PaymentRequired)
        self.assertEqual((e.code, e.status, e.amount, e.currency), ("PAYMENT_REQUIRED", 402, 1.0, "usd"))
        assert e.checkout is not None
        self.assertEqual((e.checkout.session_id, e.checkout.checkout_url), ("cs_test_1", "https://pay.example/c/cs_test_1"))
        self.assertEqual(e.checkout.methods, ["stripe_checkout", "x402"])
        self.assertEqual(e.next_steps, ["open", "redeem", "retry"])
        assert e.x402 is not None
        self.assertEqual(e.x402["accepts"], payment["accepts"])
        self.assertEqual(e.credit_balance, 0)
        self.assertEqual([(p.pack, p.runs, p.amount_cents) for p in e.credit_packs], [("10", 10, 800)])
        self.assertEqual(e.data, payment)

    def test_retry_after_from_the_header_else_from_the_body(self) -> None:
        busy = error_from_response(503, body("SERVER_BUSY", data={"retry_after_seconds": 3}), "7")
        assert isinstance(busy, ServerBusy)
        self.assertEqual((busy.retry_after, busy.status), (7.0, 503))
        store = error_from_response(503, body("STORE_UNAVAILABLE", data={"retry_after_seconds": 2}))
        assert isinstance(store, StoreUnavailable)
        self.assertEqual(store.retry_after, 2.0)
        disk = error_from_response(507, body("DISK_FULL"), "Wed, 21 Oct 2015 07:28:00 GMT")
        assert isinstance(disk, DiskFull)
        self.assertIsNone(disk.retry_after, "an HTTP-date Retry-After without a body value is unknown, not 0")

    def test_an_unknown_code_keeps_its_code_and_falls_back_on_the_status(self) -> None:
        e = error_from_response(418, body("SOMETHING_NEW", "teapot", {"x": 1}, "do y"))
        self.assertIs(type(e), GatewayError)
        self.assertEqual((e.code, e.message, e.status, e.data, e.hint), ("SOMETHING_NEW", "teapot", 418, {"x": 1}, "do y"))
        nf = error_from_response(404, body("SOMETHING_NEWER"))
        self.assertIs(type(nf), NotFound)
        self.assertEqual(nf.code, "SOMETHING_NEWER")

    def test_a_body_that_is_not_ours(self) -> None:
        e = error_from_response(502, b"<html>Bad Gateway</html>")
        self.assertIsInstance(e, GatewayUnavailable)
        self.assertEqual((e.code, e.status), ("REMOTE_UNAVAILABLE", 502))
        f = error_from_response(403, b"")
        self.assertIsInstance(f, Unauthorized)
        self.assertEqual(f.code, "UNAUTHORIZED")

    @unittest.skipUnless(os.path.isfile(os.path.join(REPO, "src", "errors.ts")), "not inside the gateway's repository")
    def test_the_table_follows_the_gateways_codes_and_statuses(self) -> None:
        with open(os.path.join(REPO, "src", "errors.ts"), encoding="utf-8") as f:
            src = f.read()
        listed = src[src.index("ERROR_CODES = [") : src.index("] as const")]
        codes = set(re.findall(r"^\s*'([A-Z0-9_]+)',", listed, re.M))
        self.assertGreater(len(codes), 50)
        with open(os.path.join(REPO, "src", "http", "error-status.ts"), encoding="utf-8") as f:
            status_src = f.read()
        table = status_src[status_src.index("const STATUS") : status_src.index("};")]
        status = {c: int(s) for c, s in re.findall(r"^\s*([A-Z0-9_]+): (\d{3}),", table, re.M)}
        self.assertEqual(set(status), codes, "error-status.ts gives every code a status")

        # Every code the client names is one the gateway has (no typo, no drift).
        named = set(errors_module._BY_CODE)  # noqa: SLF001
        self.assertEqual(named - codes, set())

        for code in sorted(codes):
            cls = errors_module.error_class_for(code, status[code])
            st = status[code]
            with self.subTest(code=code, status=st, cls=cls.__name__):
                self.assertTrue(issubclass(cls, GatewayError))
                if st == 401:
                    self.assertIs(cls, Unauthorized)
                if st == 402:
                    self.assertIs(cls, PaymentRequired)
                if st == 404:
                    self.assertIs(cls, NotFound)
                if st == 503 or code in ("DISK_FULL", "RATE_LIMITED"):
                    self.assertTrue(issubclass(cls, RetryableError))
                if code.startswith(("PAYMENT_TOKEN_", "CHECKOUT_")):
                    self.assertIs(cls, PaymentError)
                if st == 422:
                    self.assertTrue(issubclass(cls, (InvalidInput, FmuInvalid, SimulationError)))
                if issubclass(cls, RetryableError):
                    self.assertIn(st, (429, 502, 503, 504, 507), "only temporary refusals say when to come back")
        self.assertIs(errors_module.error_class_for("QUOTA_EXCEEDED", 507), errors_module.QuotaExceeded)


class CsvParsing(unittest.TestCase):
    def parse(self, text: str, numeric: Tuple[str, ...] = ()) -> ResultTable:
        return ResultTable.from_csv(io.BytesIO(text.encode("utf-8")), numeric)

    def test_numbers_non_finite_booleans_and_text(self) -> None:
        t = self.parse(
            'time,x,flag,label\n0,1.5,0,"a, b"\n0.1,NaN,1,"say ""hi"""\n0.2,Inf,1,c\n0.3,-Inf,0,\n',
            numeric=("x", "flag"),
        )
        self.assertEqual(t.rows, 4)
        self.assertEqual(t.time, [0.0, 0.1, 0.2, 0.3])
        x = t.columns["x"]
        self.assertEqual(x[0], 1.5)
        self.assertNotEqual(x[1], x[1])  # NaN
        self.assertEqual(x[2:], [float("inf"), float("-inf")])
        self.assertEqual(t.columns["flag"], [0.0, 1.0, 1.0, 0.0])
        self.assertEqual(t.text_columns, {"label": ["a, b", 'say "hi"', "c", ""]})

    def test_columns_without_a_hint_become_numbers_only_when_every_cell_is_one(self) -> None:
        t = self.parse("time,a,b\n0,1,x\n1,2,3\n")
        self.assertEqual(t.columns, {"time": [0.0, 1.0], "a": [1.0, 2.0]})
        self.assertEqual(t.text_columns, {"b": ["x", "3"]})

    def test_a_hinted_column_that_holds_text_is_kept_as_text(self) -> None:
        t = self.parse("time,s\n0,1.25\n1,abc\n", numeric=("s",))
        self.assertEqual(t.text_columns, {"s": ["1.25", "abc"]})
        self.assertNotIn("s", t.columns)

    def test_malformed_csv_is_a_protocol_error(self) -> None:
        for text in ("", "x,y\n1,2\n", "time,x\n0,1\n1\n"):
            with self.subTest(text=text):
                with self.assertRaises(ProtocolError) as cm:
                    self.parse(text)
                self.assertEqual(cm.exception.code, "REMOTE_ERROR")


class Script:
    """A local HTTP server answering from a script: a list of (status, headers, body) per path."""

    def __init__(self) -> None:
        self.answers: Dict[str, List[Tuple[int, Dict[str, str], bytes]]] = {}
        self.seen: List[Tuple[str, str]] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                script.seen.append((self.command, self.path))
                queue = script.answers.get(self.path) or [(404, {}, body("NOT_FOUND"))]
                status, headers, payload = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = handle_one
            do_POST = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Transport(unittest.TestCase):
    def setUp(self) -> None:
        self.script = Script()

    def tearDown(self) -> None:
        self.script.close()

    def test_a_get_is_retried_on_503_after_retry_after_then_succeeds(self) -> None:
        busy = (503, {"Retry-After": "0"}, body("SERVER_BUSY"))
        ok = (200, {}, json.dumps({"models": [{"id": "msl:X", "name": "X"}]}).encode())
        self.script.answers["/v2/library"] = [busy, busy, ok]
        models = Client(self.script.url, key="k", retries=2).library()
        self.assertEqual([m.id for m in models], ["msl:X"])
        self.assertEqual(self.script.seen, [("GET", "/v2/library")] * 3)

    def test_retries_give_up_with_the_coded_error(self) -> None:
        self.script.answers["/v2/library"] = [(503, {"Retry-After": "0"}, body("STORE_UNAVAILABLE"))]
        with self.assertRaises(StoreUnavailable) as cm:
            Client(self.script.url, key="k", retries=1).library()
        self.assertEqual(cm.exception.retry_after, 0.0)
        self.assertEqual(len(self.script.seen), 2)

    def test_a_run_is_never_retried(self) -> None:
        self.script.answers["/v2/simulate"] = [(503, {"Retry-After": "5"}, body("SERVER_BUSY", data={"retry_after_seconds": 5}))]
        t0 = time.monotonic()
        with self.assertRaises(ServerBusy) as cm:
            Client(self.script.url, key="k", retries=3).simulate("msl:X", stop_time=1)
        self.assertLess(time.monotonic() - t0, 4, "it waited for a retry")
        self.assertEqual((cm.exception.code, cm.exception.retry_after), ("SERVER_BUSY", 5.0))
        self.assertEqual(self.script.seen, [("POST", "/v2/simulate")])

    def test_a_200_that_is_not_json_is_a_protocol_error(self) -> None:
        self.script.answers["/v2/library"] = [(200, {"Content-Type": "text/html"}, b"<html>hello</html>")]
        with self.assertRaises(ProtocolError) as cm:
            Client(self.script.url, key="k").library()
        self.assertEqual((cm.exception.code, cm.exception.status), ("REMOTE_ERROR", 200))

    def test_the_key_is_sent_as_a_bearer_token(self) -> None:
        seen: List[Optional[str]] = []

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                seen.append(self.headers.get("Authorization"))
                payload = b'{"models": []}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        th = threading.Thread(target=srv.serve_forever, daemon=True)
        th.start()
        try:
            url = f"http://127.0.0.1:{srv.server_address[1]}"
            Client(url, key="fmugw_secret").library()
            Client(url).library()
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(seen, ["Bearer fmugw_secret", None])


class Recording:
    """A local HTTP server that records each request's path and Authorization header, answering
    a redirect where `redirects` says, else an empty library."""

    def __init__(self, redirects: Dict[str, str]) -> None:
        self.seen: List[Tuple[str, Optional[str]]] = []
        rec = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                rec.seen.append((self.path, self.headers.get("Authorization")))
                target = redirects.get(self.path)
                if target is not None:
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                payload = b'{"models": []}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Redirects(unittest.TestCase):
    def test_the_key_follows_a_redirect_only_within_the_same_origin(self) -> None:
        other = Recording({})
        gw_server = Recording(
            {"/v2/library?query=here": "/v2/library?query=moved", "/v2/library?query=away": f"{other.url}/v2/library"}
        )
        try:
            gw = Client(gw_server.url, key="fmugw_secret", retries=0)
            gw.library(query="here")
            gw.library(query="away")
        finally:
            other.close()
            gw_server.close()
        self.assertEqual(
            gw_server.seen,
            [
                ("/v2/library?query=here", "Bearer fmugw_secret"),
                ("/v2/library?query=moved", "Bearer fmugw_secret"),
                ("/v2/library?query=away", "Bearer fmugw_secret"),
            ],
        )
        self.assertEqual(other.seen, [("/v2/library", None)], "the key leaked to another origin")


class Connection(unittest.TestCase):
    def test_a_refused_connection_is_gateway_unavailable(self) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        with self.assertRaises(GatewayUnavailable) as cm:
            Client(f"http://127.0.0.1:{port}", retries=0).library()
        self.assertEqual((cm.exception.code, cm.exception.status), ("REMOTE_UNAVAILABLE", 0))

    def test_a_silent_gateway_is_a_timeout(self) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)  # accepts (the backlog) and never answers
        try:
            t0 = time.monotonic()
            with self.assertRaises(GatewayTimeout) as cm:
                Client(f"http://127.0.0.1:{s.getsockname()[1]}", timeout=0.5, retries=0).library()
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(cm.exception.code, "REMOTE_TIMEOUT")
        finally:
            s.close()

    def test_a_url_that_is_not_http_is_refused_at_once(self) -> None:
        for url in ("ftp://x", "gateway.example.com", ""):
            with self.subTest(url=url):
                with self.assertRaises(ValueError):
                    Client(url)


if __name__ == "__main__":
    unittest.main()
