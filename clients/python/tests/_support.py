"""What the tests share: the gateways under test (from the environment the node harness
test/e2e/python-client.test.ts sets), the paying human, and a recorder of the client's calls.

Environment:
    FMU_GATEWAY_TEST_URL        a real `fmu-gateway serve` with payments off
    FMU_GATEWAY_TEST_PAID_URL   a real `serve` with payments on (Stripe SDK pointed at the stand-in)
    FMU_GATEWAY_TEST_PAYER_URL  the harness's paying human: POST /pay/<session_id> completes the
                                checkout at the Stripe stand-in and delivers Stripe's signed webhook
    FMU_GATEWAY_TEST_FMU        an FMU built from the library's Dahlquist model (dx/dt = -k x)
    FMU_GATEWAY_TEST_CREDITS    "1" when the server sells credit packs (the credits work is merged)
"""

from __future__ import annotations

import json
import os
import sys
import unittest
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from fmu_gateway import Client  # noqa: E402

HARNESS = "run through the node harness: node --import tsx --test test/e2e/python-client.test.ts"


def env(name: str) -> Optional[str]:
    value = os.environ.get(name)
    return value if value else None


FREE_URL = env("FMU_GATEWAY_TEST_URL")
PAID_URL = env("FMU_GATEWAY_TEST_PAID_URL")
PAYER_URL = env("FMU_GATEWAY_TEST_PAYER_URL")
FMU_PATH = env("FMU_GATEWAY_TEST_FMU")
CREDITS = env("FMU_GATEWAY_TEST_CREDITS") == "1"

needs_free = unittest.skipUnless(FREE_URL and FMU_PATH, f"FMU_GATEWAY_TEST_URL / _FMU not set: {HARNESS}")
needs_paid = unittest.skipUnless(PAID_URL and PAYER_URL, f"FMU_GATEWAY_TEST_PAID_URL / _PAYER_URL not set: {HARNESS}")
needs_credits = unittest.skipUnless(CREDITS, "FMU_GATEWAY_TEST_CREDITS is not 1: the server sells no credit packs")


def new_client(url: Optional[str]) -> Client:
    """A client of `url` with a key of its own."""
    assert url is not None
    gw = Client(url, timeout=120)
    gw.create_key()
    return gw


def pay(session_id: str) -> Dict[str, Any]:
    """The human pays the checkout: the stand-in marks it paid and Stripe's signed
    checkout.session.completed webhook reaches the paid gateway. Returns {status, body}."""
    assert PAYER_URL is not None
    req = urllib.request.Request(f"{PAYER_URL}/pay/{session_id}", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        out: Dict[str, Any] = json.loads(resp.read().decode("utf-8"))
        return out


class Recorder:
    """Records every request the client's transport makes: (method, path), in order."""

    def __init__(self, gw: Client) -> None:
        self.calls: List[Tuple[str, str]] = []
        transport = gw._http  # noqa: SLF001 - the test observes what crosses the wire
        original: Callable[..., Any] = transport.request

        def request(method: str, path: str, **kw: Any) -> Any:
            self.calls.append((method, path))
            return original(method, path, **kw)

        transport.request = request  # type: ignore[method-assign]
