"""Coded exceptions mirroring the gateway's error codes.

The gateway answers every failed REST call with ``{"error": {"code", "message", "hint"?,
"data"?}}`` and a status from one table (``src/http/error-status.ts``); a 402 carries the payment
data as its body instead. :func:`error_from_response` turns such an answer into the most specific
exception below. Branch on the class or on :attr:`GatewayError.code`, never on the message.
Codes this client does not know yet still arrive as :class:`GatewayError` with their code kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Type

__all__ = [
    "GatewayError",
    "InvalidInput",
    "BadRequest",
    "Unauthorized",
    "NotFound",
    "FmuInvalid",
    "SimulationError",
    "SimulationTimeout",
    "PaymentRequired",
    "PaymentError",
    "Conflict",
    "QuotaExceeded",
    "RetryableError",
    "ServerBusy",
    "RateLimited",
    "StoreUnavailable",
    "DiskFull",
    "ServiceUnavailable",
    "GatewayUnavailable",
    "GatewayTimeout",
    "ProtocolError",
    "CheckoutInfo",
    "CreditPack",
    "error_from_response",
]


class GatewayError(Exception):
    """Any failure reported by (or while talking to) an FMU Gateway.

    Attributes:
        code: the stable UPPER_SNAKE error code (``"NOT_FOUND"``, ``"SERVER_BUSY"``, ...).
        message: the human-readable message.
        status: the HTTP status of the answer (0 when no answer arrived).
        data: details depending on the code (the body's ``error.data``, or the 402 body).
        hint: how to fix the call, when the gateway said.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 0,
        data: Optional[Mapping[str, Any]] = None,
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.data: Dict[str, Any] = dict(data or {})
        self.hint = hint

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, message={self.message!r})"


class InvalidInput(GatewayError):
    """The request is wrong (400 ``BAD_REQUEST``, or a 422 about a variable, start value, input
    signal or the row limit). ``data["issues"]`` lists the offending fields when the gateway says."""


#: The same class under the HTTP name.
BadRequest = InvalidInput


class Unauthorized(GatewayError):
    """No key, or an unknown / revoked key (401 ``UNAUTHORIZED``): ``Client.create_key()``."""


class NotFound(GatewayError):
    """An unknown model, FMU, run or checkout, or one that belongs to another key (404)."""


class FmuInvalid(GatewayError):
    """The FMU cannot be used here: not a valid archive, a bad modelDescription.xml, no binary
    for this platform, or an FMI feature the gateway does not run (422)."""


class SimulationError(GatewayError):
    """The model failed while it ran (``SIMULATION_FAILED``, ``FMU_CRASHED``, ``FMI_CALL_FAILED``,
    step or memory limits ...). The payment for the run stays spent: it was the model's fault."""


class SimulationTimeout(SimulationError):
    """The run exceeded the gateway's wall-clock limit (504 ``SIMULATION_TIMEOUT``)."""


@dataclass(frozen=True)
class CheckoutInfo:
    """Where a human pays for a run (Stripe Checkout), from a 402 answer, a quote or ``pay()``."""

    checkout_url: str
    session_id: str
    expires_at: Optional[str] = None
    amount: Optional[float] = None
    currency: Optional[str] = None
    methods: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class CreditPack:
    """A credit pack on offer: ``runs`` paid runs for ``amount_cents`` (in ``currency``)."""

    pack: str
    runs: int
    amount_cents: int
    currency: str

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "CreditPack":
        return CreditPack(
            pack=str(obj.get("pack", "")),
            runs=int(obj.get("runs", 0)),
            amount_cents=int(obj.get("amount_cents", 0)),
            currency=str(obj.get("currency", "")),
        )


class PaymentRequired(GatewayError):
    """HTTP 402: this call must be paid for first.

    ``checkout`` is where a human pays (then ``Client.redeem(checkout.session_id)`` for a payment
    token, then repeat the call with ``payment_token=``); ``x402`` holds the x402 requirements when
    the gateway offers x402; ``credit_balance`` and ``credit_packs`` say what the key has in credits
    and which packs are for sale (``Client.buy_credits``), when the gateway sells credit packs.
    ``data`` is the whole 402 body.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 402,
        data: Optional[Mapping[str, Any]] = None,
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(code, message, status, data, hint)
        body = self.data
        self.checkout: Optional[CheckoutInfo] = None
        if isinstance(body.get("checkout_url"), str) and isinstance(body.get("session_id"), str):
            self.checkout = CheckoutInfo(
                checkout_url=body["checkout_url"],
                session_id=body["session_id"],
                expires_at=_opt_str(body.get("expires_at")),
                amount=_opt_float(body.get("amount")),
                currency=_opt_str(body.get("currency")),
                methods=[str(m) for m in body.get("methods", []) if isinstance(m, str)],
            )
        self.amount: Optional[float] = _opt_float(body.get("amount"))
        self.currency: Optional[str] = _opt_str(body.get("currency"))
        self.next_steps: List[str] = [str(s) for s in body.get("next_steps", []) if isinstance(s, str)]
        accepts = body.get("accepts")
        self.x402: Optional[Dict[str, Any]] = (
            {k: body[k] for k in ("x402Version", "resource", "accepts") if k in body} if isinstance(accepts, list) else None
        )
        credits = body.get("credits")
        self.credits: Optional[Dict[str, Any]] = dict(credits) if isinstance(credits, dict) else None
        self.credit_balance: Optional[int] = None
        self.credit_packs: List[CreditPack] = []
        if self.credits is not None:
            balance = self.credits.get("balance")
            self.credit_balance = int(balance) if isinstance(balance, (int, float)) else None
            packs = self.credits.get("packs")
            if isinstance(packs, list):
                self.credit_packs = [CreditPack.from_json(p) for p in packs if isinstance(p, dict)]


class PaymentError(GatewayError):
    """A payment was refused: the token is unknown, used, expired or for another request; the
    checkout expired or was redeemed already; payments are off; the provider failed."""


class QuotaExceeded(GatewayError):
    """This key holds as many uploads and results as its disk quota allows (507
    ``QUOTA_EXCEEDED``): not temporary; it clears when old runs or uploads expire."""


class Conflict(GatewayError):
    """409 other than a payment (e.g. a resource in a state that forbids the call)."""


class RetryableError(GatewayError):
    """A temporary refusal: wait ``retry_after`` seconds (the Retry-After header, or the body's
    ``data.retry_after_seconds``; None when the gateway did not say) and call again."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 0,
        data: Optional[Mapping[str, Any]] = None,
        hint: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(code, message, status, data, hint)
        if retry_after is None:
            retry_after = _opt_float(self.data.get("retry_after_seconds"))
        self.retry_after: Optional[float] = retry_after


class ServerBusy(RetryableError):
    """Admission control refused the call at once (503 ``SERVER_BUSY`` / ``QUEUE_FULL``)."""


class RateLimited(RetryableError):
    """Too many calls from this key or address (429 ``RATE_LIMITED``)."""


class StoreUnavailable(RetryableError):
    """The gateway's account store cannot serve (503 ``STORE_UNAVAILABLE``); nothing was recorded."""


class DiskFull(RetryableError):
    """The gateway's disk is full (507 ``DISK_FULL``); nothing was stored."""


class ServiceUnavailable(RetryableError):
    """Another temporary 503 (queue, blob store, sandbox, payment provider unreachable ...)."""


class GatewayUnavailable(RetryableError):
    """No answer: the connection was refused or dropped (client-side, code ``REMOTE_UNAVAILABLE``)."""


class GatewayTimeout(GatewayError):
    """No answer within the client's timeout (client-side, code ``REMOTE_TIMEOUT``)."""


class ProtocolError(GatewayError):
    """The answer does not follow the API contract (not JSON, missing fields): ``REMOTE_ERROR``."""


_INPUT_CODES = {
    "BAD_REQUEST",
    "UNKNOWN_VARIABLE",
    "INVALID_START_VALUE",
    "INVALID_INPUT_SIGNAL",
    "OUTPUT_LIMIT_EXCEEDED",
    "NOT_ACCEPTABLE",
    "SYSTEM_INVALID",
    "ALGEBRAIC_LOOP",
}
_FMU_CODES = {"FMU_INVALID", "MODEL_DESCRIPTION_INVALID", "PLATFORM_UNSUPPORTED", "UNSUPPORTED_FEATURE", "COMPILE_FAILED"}
_SIMULATION_CODES = {
    "SIMULATION_FAILED",
    "FMU_CRASHED",
    "FMU_LOAD_FAILED",
    "FMI_CALL_FAILED",
    "STEP_LIMIT_EXCEEDED",
    "SIMULATION_OUT_OF_MEMORY",
    "CANCELLED",
}
_PAYMENT_CODES = {
    "PAYMENTS_DISABLED",
    "PAYMENT_METHOD_UNSUPPORTED",
    "PAYMENT_TOKEN_INVALID",
    "PAYMENT_TOKEN_USED",
    "PAYMENT_TOKEN_EXPIRED",
    "PAYMENT_TOKEN_MISMATCH",
    "PAYMENT_INVALID",
    "CHECKOUT_ALREADY_REDEEMED",
    "CHECKOUT_EXPIRED",
    "PAYMENT_PROVIDER_ERROR",
}
_BY_CODE: Dict[str, Type[GatewayError]] = {
    "UNAUTHORIZED": Unauthorized,
    "NOT_FOUND": NotFound,
    "PAYMENT_REQUIRED": PaymentRequired,
    "SIMULATION_TIMEOUT": SimulationTimeout,
    "SERVER_BUSY": ServerBusy,
    "QUEUE_FULL": ServerBusy,
    "RATE_LIMITED": RateLimited,
    "STORE_UNAVAILABLE": StoreUnavailable,
    "DISK_FULL": DiskFull,
    "QUEUE_UNAVAILABLE": ServiceUnavailable,
    "BLOB_STORE_UNAVAILABLE": ServiceUnavailable,
    "WORKER_NODE_LOST": ServiceUnavailable,
    "SANDBOX_UNAVAILABLE": ServiceUnavailable,
    "PAYMENT_PROVIDER_UNAVAILABLE": ServiceUnavailable,
    "REMOTE_UNAVAILABLE": GatewayUnavailable,
    "REMOTE_TIMEOUT": GatewayTimeout,
    "REMOTE_ERROR": ProtocolError,
    "QUOTA_EXCEEDED": QuotaExceeded,
}
for _c in _INPUT_CODES:
    _BY_CODE[_c] = InvalidInput
for _c in _FMU_CODES:
    _BY_CODE[_c] = FmuInvalid
for _c in _SIMULATION_CODES:
    _BY_CODE[_c] = SimulationError
for _c in _PAYMENT_CODES:
    _BY_CODE[_c] = PaymentError

#: When the body carries no code we know: the class by HTTP status.
_BY_STATUS: Dict[int, Type[GatewayError]] = {
    400: InvalidInput,
    401: Unauthorized,
    402: PaymentRequired,
    403: Unauthorized,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
    429: RateLimited,
    503: ServiceUnavailable,
    507: DiskFull,
}
_DEFAULT_CODE_BY_STATUS: Dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "PAYMENT_REQUIRED",
    403: "UNAUTHORIZED",
    404: "NOT_FOUND",
    429: "RATE_LIMITED",
    502: "REMOTE_UNAVAILABLE",
    503: "REMOTE_UNAVAILABLE",
    504: "REMOTE_TIMEOUT",
    507: "DISK_FULL",
}


def error_class_for(code: str, status: int = 0) -> Type[GatewayError]:
    """The exception class for an error code (falling back on the HTTP status, then the base)."""
    return _BY_CODE.get(code) or _BY_STATUS.get(status) or GatewayError


def error_from_response(status: int, body: bytes, retry_after_header: Optional[str] = None, url: str = "") -> GatewayError:
    """Turn a failed HTTP answer (status, raw body, Retry-After header) into a coded exception."""
    parsed: Any = None
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
    except (ValueError, UnicodeDecodeError):
        parsed = None
    obj: Dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    retry_after = _parse_retry_after(retry_after_header)

    if status == 402:
        # The 402 body IS the payment data (status "payment_required", checkout, x402, credits).
        return PaymentRequired("PAYMENT_REQUIRED", "Payment is required for this call.", 402, obj, _opt_str(obj.get("hint")))

    err = obj.get("error")
    info: Dict[str, Any] = err if isinstance(err, dict) else {}
    code = info.get("code") if isinstance(info.get("code"), str) else None
    message = info.get("message")
    if not isinstance(message, str):
        detail = obj.get("detail")
        message = detail if isinstance(detail, str) else f"HTTP {status} from {url or 'the gateway'}"
    data = info.get("data")
    data = data if isinstance(data, dict) else {}
    hint = _opt_str(info.get("hint"))
    if code is None:
        # Not our error body (a proxy's page, an older gateway): the status decides.
        code = _DEFAULT_CODE_BY_STATUS.get(status, "REMOTE_ERROR")
        cls = _BY_STATUS.get(status) or _BY_CODE.get(code) or GatewayError
    else:
        cls = error_class_for(code, status)
    if issubclass(cls, RetryableError):
        return cls(code, message, status, data, hint, retry_after=retry_after)
    return cls(code, message, status, data, hint)


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP date: the body's retry_after_seconds (if any) is used instead
    return seconds if seconds >= 0 else None


def _opt_str(v: Any) -> Optional[str]:
    return v if isinstance(v, str) else None


def _opt_float(v: Any) -> Optional[float]:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
