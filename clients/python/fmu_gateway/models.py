"""What the client's calls return: small typed records over the gateway's JSON answers.

Every record keeps the whole answer in ``raw`` (a dict), so fields a newer gateway adds are
never lost; the typed fields are the ones a script usually needs.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
from dataclasses import dataclass, field
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, Union

from .errors import CheckoutInfo, CreditPack, ProtocolError

__all__ = [
    "Upload",
    "LibraryModel",
    "Variable",
    "ModelVariables",
    "ResultTable",
    "SimulationResult",
    "SweepRun",
    "SweepResult",
    "Quote",
    "Redemption",
    "CreditEntry",
    "Credits",
    "CreditCheckout",
    "CreditPurchase",
    "CheckoutInfo",
    "CreditPack",
]

#: A value a caller gives for one variable (a scalar, or nested lists for FMI 3 arrays).
Value = Union[float, int, bool, str, List[Any]]


@dataclass(frozen=True)
class Upload:
    """An FMU stored on the gateway for this key.

    ``uploaded`` is False when the gateway already held these bytes (asked by sha256 first) and
    nothing was sent; ``info`` is the gateway's summary of the FMU when it was sent now.
    """

    fmu_id: str
    sha256: str
    uploaded: bool
    model_name: Optional[str] = None
    info: Optional[Dict[str, Any]] = None


@dataclass(frozen=True)
class LibraryModel:
    """A built-in model (``id`` is ``"msl:<Name>"``)."""

    id: str
    name: str
    description: str
    fmi_versions: List[str]
    interfaces: List[str]
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "LibraryModel":
        return LibraryModel(
            id=str(obj.get("id", "")),
            name=str(obj.get("name", "")),
            description=str(obj.get("description", "")),
            fmi_versions=[str(v) for v in obj.get("fmi_versions", [])],
            interfaces=[str(v) for v in obj.get("interfaces", [])],
            raw=dict(obj),
        )


@dataclass(frozen=True)
class Variable:
    """One model variable as the modelDescription declares it."""

    name: str
    type: str
    causality: str
    variability: str
    value_reference: Optional[int] = None
    start: Any = None
    unit: Optional[str] = None
    description: Optional[str] = None
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "Variable":
        vr = obj.get("value_reference")
        return Variable(
            name=str(obj.get("name", "")),
            type=str(obj.get("type", "")),
            causality=str(obj.get("causality", "")),
            variability=str(obj.get("variability", "")),
            value_reference=int(vr) if isinstance(vr, int) else None,
            start=obj.get("start"),
            unit=obj.get("unit") if isinstance(obj.get("unit"), str) else None,
            description=obj.get("description") if isinstance(obj.get("description"), str) else None,
            raw=dict(obj),
        )


@dataclass(frozen=True)
class ModelVariables:
    """The variables of an FMU (``Client.variables``)."""

    fmu_id: str
    model_name: str
    fmi_version: str
    variables: List[Variable]
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    def __getitem__(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    def names(self, causality: Optional[str] = None) -> List[str]:
        """Variable names, optionally only those of one causality ("parameter", "output", ...)."""
        return [v.name for v in self.variables if causality is None or v.causality == causality]


@dataclass
class ResultTable:
    """The full result of a run, as columns.

    ``columns`` maps ``"time"`` and every numeric output to its values (floats; NaN and ±inf as
    the gateway recorded them; Booleans as 0.0 / 1.0). Columns whose cells are not numbers (FMI
    String variables) are in ``text_columns``. ``rows`` is the number of rows.
    """

    columns: Dict[str, List[float]]
    text_columns: Dict[str, List[str]]
    rows: int

    @property
    def time(self) -> List[float]:
        return self.columns.get("time", [])

    @staticmethod
    def from_csv(stream: IO[bytes], numeric_hint: Optional[Iterable[str]] = None) -> "ResultTable":
        """Parses the gateway's result CSV (header ``time,<name>,...``) as it streams in.

        ``numeric_hint``: columns known to be numeric (the run's summary), parsed straight to
        floats; other columns are parsed to floats when every cell is a number, else kept as text.
        """
        reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
        try:
            header = next(reader)
        except StopIteration:
            raise ProtocolError("REMOTE_ERROR", "The result CSV is empty (no header line)") from None
        if not header or header[0] != "time":
            raise ProtocolError("REMOTE_ERROR", f"The result CSV does not start with a time column: {header[:3]!r}")
        numeric = {"time", *(numeric_hint or ())}
        floats: List[Optional[List[float]]] = [[] if name in numeric else None for name in header]
        texts: List[Optional[List[str]]] = [None if name in numeric else [] for name in header]
        width = len(header)
        rows = 0
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != width:
                raise ProtocolError(
                    "REMOTE_ERROR", f"Result CSV line {line_no} has {len(row)} cells, the header {width}", data={"line": line_no}
                )
            for i, cell in enumerate(row):
                fl = floats[i]
                if fl is not None:
                    try:
                        fl.append(float(cell))
                        continue
                    except ValueError:
                        # A column thought numeric holds text after all: keep it as text from here.
                        texts[i] = [_float_text(x) for x in fl]
                        floats[i] = None
                tx = texts[i]
                assert tx is not None
                tx.append(cell)
            rows += 1
        columns: Dict[str, List[float]] = {}
        text_columns: Dict[str, List[str]] = {}
        for i, name in enumerate(header):
            fl = floats[i]
            tx = texts[i]
            if fl is not None:
                columns[name] = fl
            elif tx is not None:
                as_numbers = _all_floats(tx)
                if as_numbers is not None:
                    columns[name] = as_numbers
                else:
                    text_columns[name] = tx
        return ResultTable(columns, text_columns, rows)


def _float_text(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return repr(x)


def _all_floats(cells: List[str]) -> Optional[List[float]]:
    out: List[float] = []
    for c in cells:
        try:
            out.append(float(c))
        except ValueError:
            return None
    return out


@dataclass
class SimulationResult:
    """A completed run: the summary the gateway computed, and the full result as columns.

    ``summary`` maps each numeric output to ``{"min", "max", "mean", "final", "unit"?}``;
    ``kpis`` the requested KPIs; ``series`` the downsampled inline series; ``columns`` /
    ``text_columns`` every row of the full result (fetched from ``result_url``, the CSV), unless
    the call passed ``columns=False``.
    """

    run_id: str
    rows: int
    summary: Dict[str, Dict[str, Any]]
    kpis: Dict[str, Optional[float]]
    series: Dict[str, List[Optional[float]]]
    provenance: Dict[str, Any]
    stats: Dict[str, Any]
    warnings: List[str]
    result_url: str
    columns: Dict[str, List[float]] = field(default_factory=dict, repr=False)
    text_columns: Dict[str, List[str]] = field(default_factory=dict, repr=False)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def time(self) -> List[float]:
        """The time column of the full result."""
        return self.columns.get("time", [])

    @property
    def plot_png(self) -> Optional[bytes]:
        """The PNG chart, when the request had ``plot=True``."""
        return _png(self.raw)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "SimulationResult":
        _require(obj, ("run_id", "summary"), "POST /v2/simulate")
        return SimulationResult(
            run_id=str(obj["run_id"]),
            rows=int(obj.get("rows", 0)),
            summary=dict(obj.get("summary") or {}),
            kpis=dict(obj.get("kpis") or {}),
            series=dict(obj.get("series") or {}),
            provenance=dict(obj.get("provenance") or {}),
            stats=dict(obj.get("stats") or {}),
            warnings=[str(w) for w in obj.get("warnings", [])],
            result_url=str(obj.get("result_url", f"/v2/runs/{obj['run_id']}/result.csv")),
            raw=dict(obj),
        )


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: the swept values, and its summary / KPIs or its error."""

    index: int
    start_values: Dict[str, Any]
    status: str
    run_id: Optional[str] = None
    summary: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    kpis: Dict[str, Optional[float]] = field(default_factory=dict)
    error: Optional[Dict[str, str]] = None

    @property
    def ok(self) -> bool:
        return self.status == "completed"


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: one row per combination, in grid order (first parameter slowest)."""

    total: int
    completed: int
    failed: int
    parameters: List[str]
    runs: List[SweepRun]
    warnings: List[str]
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def plot_png(self) -> Optional[bytes]:
        """The overlay chart of the runs (PNG), when the request had ``plot=True``."""
        return _png(self.raw)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "SweepResult":
        _require(obj, ("total", "runs"), "POST /v2/sweep")
        runs = [
            SweepRun(
                index=int(r.get("index", i)),
                start_values=dict(r.get("start_values") or {}),
                status=str(r.get("status", "")),
                run_id=r.get("run_id") if isinstance(r.get("run_id"), str) else None,
                summary=dict(r.get("summary") or {}),
                kpis=dict(r.get("kpis") or {}),
                error=dict(r["error"]) if isinstance(r.get("error"), dict) else None,
            )
            for i, r in enumerate(obj.get("runs", []))
            if isinstance(r, dict)
        ]
        return SweepResult(
            total=int(obj["total"]),
            completed=int(obj.get("completed", 0)),
            failed=int(obj.get("failed", 0)),
            parameters=[str(p) for p in obj.get("parameters", [])],
            runs=runs,
            warnings=[str(w) for w in obj.get("warnings", [])],
            raw=dict(obj),
        )


@dataclass(frozen=True)
class Quote:
    """The price of a simulate request (nothing runs).

    ``checkout`` is set when payment is due and a checkout could be opened; ``credit_balance`` /
    ``credit_packs`` when the gateway sells credit packs.
    """

    payments_enabled: bool
    payment_required: bool
    amount: float
    amount_minor: int
    currency: str
    estimated_rows: int
    checkout: Optional[CheckoutInfo]
    next_steps: List[str]
    credit_balance: Optional[int] = None
    credit_packs: List[CreditPack] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "Quote":
        _require(obj, ("payment_required", "amount", "currency"), "POST /v2/quote")
        co = obj.get("checkout")
        checkout = checkout_from_json(co, obj) if isinstance(co, dict) else None
        credits = obj.get("credits")
        balance: Optional[int] = None
        packs: List[CreditPack] = []
        if isinstance(credits, dict):
            b = credits.get("balance")
            balance = int(b) if isinstance(b, (int, float)) else None
            packs = [CreditPack.from_json(p) for p in credits.get("packs", []) if isinstance(p, dict)]
        return Quote(
            payments_enabled=bool(obj.get("payments_enabled", False)),
            payment_required=bool(obj["payment_required"]),
            amount=float(obj["amount"]),
            amount_minor=int(obj.get("amount_minor", 0)),
            currency=str(obj["currency"]),
            estimated_rows=int(obj.get("estimated_rows", 0)),
            checkout=checkout,
            next_steps=[str(s) for s in obj.get("next_steps", [])],
            credit_balance=balance,
            credit_packs=packs,
            raw=dict(obj),
        )


def checkout_from_json(obj: Mapping[str, Any], outer: Optional[Mapping[str, Any]] = None) -> CheckoutInfo:
    """A CheckoutInfo from a checkout object (amount / currency may sit on the outer object)."""
    _require(obj, ("checkout_url", "session_id"), "checkout")
    src = outer or {}
    amount = obj.get("amount", src.get("amount"))
    currency = obj.get("currency", src.get("currency"))
    return CheckoutInfo(
        checkout_url=str(obj["checkout_url"]),
        session_id=str(obj["session_id"]),
        expires_at=obj.get("expires_at") if isinstance(obj.get("expires_at"), str) else None,
        amount=float(amount) if isinstance(amount, (int, float)) else None,
        currency=currency if isinstance(currency, str) else None,
        methods=[str(m) for m in obj.get("methods", []) if isinstance(m, str)],
    )


@dataclass(frozen=True)
class Redemption:
    """The state of a checkout: ``status`` "redeemed" with a single-use ``payment_token``, or
    "pending" (not paid yet; ``checkout_url`` is where it is awaited)."""

    status: str
    session_id: str
    payment_token: Optional[str] = None
    expires_at: Optional[str] = None
    fmu_id: Optional[str] = None
    checkout_url: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def paid(self) -> bool:
        return self.status == "redeemed" and self.payment_token is not None

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "Redemption":
        _require(obj, ("status", "session_id"), "GET /v2/payments/checkout/{session_id}")
        return Redemption(
            status=str(obj["status"]),
            session_id=str(obj["session_id"]),
            payment_token=_str_field(obj, "payment_token"),
            expires_at=_str_field(obj, "expires_at"),
            fmu_id=_str_field(obj, "fmu_id"),
            checkout_url=_str_field(obj, "checkout_url"),
            raw=dict(obj),
        )


@dataclass(frozen=True)
class CreditEntry:
    """One line of the credit ledger: +runs for a purchase or a refund, -1 per paid run."""

    id: str
    created_at: str
    delta: int
    reason: str
    run_id: Optional[str] = None
    checkout_session_id: Optional[str] = None

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "CreditEntry":
        return CreditEntry(
            id=str(obj.get("id", "")),
            created_at=str(obj.get("created_at", "")),
            delta=int(obj.get("delta", 0)),
            reason=str(obj.get("reason", "")),
            run_id=obj.get("run_id") if isinstance(obj.get("run_id"), str) else None,
            checkout_session_id=obj.get("checkout_session_id") if isinstance(obj.get("checkout_session_id"), str) else None,
        )


@dataclass(frozen=True)
class Credits:
    """The key's credit balance, the packs on sale, and a page of the ledger (newest first;
    ``next_cursor`` fetches the next, older page; None on the last)."""

    balance: int
    packs: List[CreditPack]
    ledger: List[CreditEntry]
    next_cursor: Optional[str]
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "Credits":
        _require(obj, ("balance", "packs"), "GET /v2/credits")
        nc = obj.get("next_cursor")
        return Credits(
            balance=int(obj["balance"]),
            packs=[CreditPack.from_json(p) for p in obj.get("packs", []) if isinstance(p, dict)],
            ledger=[CreditEntry.from_json(e) for e in obj.get("ledger", []) if isinstance(e, dict)],
            next_cursor=nc if isinstance(nc, str) else None,
            raw=dict(obj),
        )


@dataclass(frozen=True)
class CreditCheckout:
    """A checkout for a credit pack: a human pays at ``checkout_url``; the runs are credited to
    the key once the payment provider confirms (``Client.credit_purchase(session_id)``)."""

    pack: str
    runs: int
    amount_cents: int
    currency: str
    checkout_url: str
    session_id: str
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "CreditCheckout":
        _require(obj, ("pack", "checkout_url", "session_id"), "POST /v2/credits/checkout")
        return CreditCheckout(
            pack=str(obj["pack"]),
            runs=int(obj.get("runs", 0)),
            amount_cents=int(obj.get("amount_cents", 0)),
            currency=str(obj.get("currency", "")),
            checkout_url=str(obj["checkout_url"]),
            session_id=str(obj["session_id"]),
            raw=dict(obj),
        )


@dataclass(frozen=True)
class CreditPurchase:
    """Whether a pack purchase was credited: ``status`` "pending", "credited" or "expired"."""

    session_id: str
    status: str
    pack: str
    runs: int
    balance: int
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "CreditPurchase":
        _require(obj, ("session_id", "status"), "GET /v2/credits/checkout/{session_id}")
        return CreditPurchase(
            session_id=str(obj["session_id"]),
            status=str(obj["status"]),
            pack=str(obj.get("pack", "")),
            runs=int(obj.get("runs", 0)),
            balance=int(obj.get("balance", 0)),
            raw=dict(obj),
        )


def _png(raw: Mapping[str, Any]) -> Optional[bytes]:
    text = raw.get("plot_png_base64")
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("REMOTE_ERROR", "plot_png_base64 is not base64") from None


def _str_field(obj: Mapping[str, Any], key: str) -> Optional[str]:
    v = obj.get(key)
    return v if isinstance(v, str) else None


def _require(obj: Any, keys: Iterable[str], what: str) -> None:
    """ProtocolError when the answer lacks a field the contract promises."""
    if not isinstance(obj, Mapping):
        raise ProtocolError("REMOTE_ERROR", f"The answer to {what} is not a JSON object")
    missing = [k for k in keys if k not in obj]
    if missing:
        raise ProtocolError("REMOTE_ERROR", f"The answer to {what} lacks {', '.join(missing)} (API contract mismatch)")
