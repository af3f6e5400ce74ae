"""The client of an FMU Gateway's REST API (our contract, under ``/v2/``)."""

from __future__ import annotations

import hashlib
import os
import time
import urllib.parse
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ._http import MultipartFile, Transport
from .errors import CheckoutInfo, ProtocolError
from .models import (
    CreditCheckout,
    CreditPurchase,
    Credits,
    LibraryModel,
    ModelVariables,
    Quote,
    Redemption,
    ResultTable,
    SimulationResult,
    SweepResult,
    Upload,
    Variable,
    checkout_from_json,
)

__all__ = ["Client", "DEFAULT_TIMEOUT", "__version__"]

__version__ = "0.1.0"

#: Seconds for one call, connection to last byte. Simulations can be long: raise it for them.
DEFAULT_TIMEOUT = 120.0

PathLike = Union[str, "os.PathLike[str]"]
#: A model: an fmu_id ("msl:<Name>", "sha256:<hex>"), an Upload, or the path of a local .fmu
#: (uploaded first, by hash).
FmuRef = Union[str, Upload, "os.PathLike[str]"]


class Client:
    """A connection to one FMU Gateway with one API key.

    >>> gw = Client("https://gateway.example.com", key="fmugw_k_...")
    >>> res = gw.simulate("msl:BouncingBall", stop_time=3, step=0.01)
    >>> res.summary["h"]["max"], len(res.columns["h"])

    Args:
        url: the gateway's base URL (no path needed).
        key: an API key (``Authorization: Bearer``); ``create_key()`` makes one.
        timeout: seconds for one call, connection to last byte.
        retries: extra attempts for calls safe to repeat (GETs, uploads) on 429 / 503 / a
            dropped connection, waiting Retry-After. Paid calls are never repeated.
    """

    def __init__(self, url: str, key: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT, retries: int = 2) -> None:
        self._http = Transport(url, key, timeout, retries, f"fmu-gateway-python/{__version__}")

    @property
    def url(self) -> str:
        return self._http.base_url

    @property
    def key(self) -> Optional[str]:
        return self._http.key

    @key.setter
    def key(self, value: Optional[str]) -> None:
        self._http.key = value

    def __repr__(self) -> str:
        return f"Client({self.url!r}, key={'set' if self.key else None})"

    # -- keys and discovery -------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """GET /health: ``{"status": "ok" | "degraded", "version", ...}`` (no key needed)."""
        res = self._http.request("GET", "/health", idempotent=True, accept=(503,))
        return _object(res.json("GET /health"), "GET /health")

    def create_key(self, use: bool = True) -> str:
        """POST /v2/keys: a new API key (shown once). With ``use`` (default) this client uses it."""
        res = self._http.request("POST", "/v2/keys", json_body={}, idempotent=False)
        key = _object(res.json("POST /v2/keys"), "POST /v2/keys").get("key")
        if not isinstance(key, str) or not key:
            raise ProtocolError("REMOTE_ERROR", "The answer to POST /v2/keys has no key")
        if use:
            self.key = key
        return key

    def library(self, query: Optional[str] = None, limit: Optional[int] = None) -> List[LibraryModel]:
        """GET /v2/library: the built-in models (ids ``"msl:<Name>"``), optionally searched."""
        res = self._http.request("GET", "/v2/library", query={"query": query, "limit": limit}, idempotent=True)
        body = _object(res.json("GET /v2/library"), "GET /v2/library")
        return [LibraryModel.from_json(m) for m in body.get("models", []) if isinstance(m, dict)]

    def variables(
        self,
        fmu: FmuRef,
        causality: Optional[str] = None,
        query: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> ModelVariables:
        """GET /v2/fmus/{id}/variables: the model's variables (optionally one causality, e.g.
        ``"parameter"``, or names matching ``query``)."""
        fmu_id = self._fmu_id(fmu)
        path = f"/v2/fmus/{urllib.parse.quote(fmu_id, safe='')}/variables"
        res = self._http.request("GET", path, query={"causality": causality, "query": query, "limit": limit}, idempotent=True)
        body = _object(res.json("GET /v2/fmus/{id}/variables"), "GET /v2/fmus/{id}/variables")
        return ModelVariables(
            fmu_id=str(body.get("fmu_id", fmu_id)),
            model_name=str(body.get("model_name", "")),
            fmi_version=str(body.get("fmi_version", "")),
            variables=[Variable.from_json(v) for v in body.get("variables", []) if isinstance(v, dict)],
            raw=body,
        )

    # -- uploads ------------------------------------------------------------------------------

    def find_upload(self, sha256: str) -> Optional[str]:
        """GET /v2/fmus/by-sha256/{sha}: the fmu_id when this key stored these bytes, else None."""
        res = self._http.request("GET", f"/v2/fmus/by-sha256/{sha256}", idempotent=True, accept=(404,))
        if res.status == 404:
            return None
        fmu_id = _object(res.json("GET /v2/fmus/by-sha256/{sha}"), "GET /v2/fmus/by-sha256/{sha}").get("fmu_id")
        expected = f"sha256:{sha256}"
        if fmu_id != expected:
            raise ProtocolError("REMOTE_ERROR", f"GET /v2/fmus/by-sha256/{sha256} answered fmu_id {fmu_id!r}")
        return expected

    def upload(self, path: PathLike) -> Upload:
        """Stores a local .fmu on the gateway, by hash first: computes its sha256, asks the gateway
        whether this key has it already, and sends the bytes (streamed) only when not.

        The fmu_id is ``"sha256:<hex>"`` of the bytes: the same file always gives the same id.
        """
        file = os.fspath(path)
        sha = sha256_of_file(file)
        existing = self.find_upload(sha)
        if existing is not None:
            return Upload(fmu_id=existing, sha256=sha, uploaded=False)
        body = MultipartFile("file", file, os.path.basename(file) or "model.fmu")
        # Content-addressed: sending the same bytes twice stores them once, so a retry is safe.
        res = self._http.request("POST", "/v2/fmus", body=body, idempotent=True)
        info = _object(res.json("POST /v2/fmus"), "POST /v2/fmus")
        if info.get("fmu_id") != f"sha256:{sha}":
            raise ProtocolError("REMOTE_ERROR", f"The gateway stored the file as {info.get('fmu_id')!r}, expected sha256:{sha}")
        name = info.get("model_name")
        return Upload(fmu_id=f"sha256:{sha}", sha256=sha, uploaded=True, model_name=name if isinstance(name, str) else None, info=info)

    # -- runs ---------------------------------------------------------------------------------

    def simulate(
        self,
        fmu: FmuRef,
        stop_time: Optional[float] = None,
        *,
        start_time: Optional[float] = None,
        step: Optional[float] = None,
        interface: Optional[str] = None,
        solver: Optional[str] = None,
        tolerance: Optional[float] = None,
        fixed_step: Optional[float] = None,
        start_values: Optional[Mapping[str, Any]] = None,
        input_signals: Optional[Sequence[Mapping[str, Any]]] = None,
        outputs: Optional[Sequence[str]] = None,
        kpis: Optional[Sequence[str]] = None,
        max_points: Optional[int] = None,
        payment_token: Optional[str] = None,
        columns: bool = True,
        **extra: Any,
    ) -> SimulationResult:
        """POST /v2/simulate, then the full result as columns from its CSV (unless ``columns=False``).

        Arguments are those of the REST request (see the gateway's /openapi.json); ``extra``
        passes fields this version does not name. Raises :class:`PaymentRequired` (with the
        checkout) when the gateway charges and no ``payment_token`` was given; never retried.
        """
        body = self._run_request(
            fmu,
            stop_time=stop_time,
            start_time=start_time,
            step=step,
            interface=interface,
            solver=solver,
            tolerance=tolerance,
            fixed_step=fixed_step,
            start_values=start_values,
            input_signals=input_signals,
            outputs=outputs,
            kpis=kpis,
            max_points=max_points,
            payment_token=payment_token,
            **extra,
        )
        res = self._http.request("POST", "/v2/simulate", json_body=body, idempotent=False)
        result = SimulationResult.from_json(_object(res.json("POST /v2/simulate"), "POST /v2/simulate"))
        if columns:
            table = self.result(result.run_id, numeric=result.summary.keys())
            result.columns = table.columns
            result.text_columns = table.text_columns
        return result

    def result(self, run_id: str, numeric: Optional[Any] = None) -> ResultTable:
        """GET /v2/runs/{id}/result.csv parsed as it streams: every row of a run, as columns."""
        resp = self._http.stream("GET", f"/v2/runs/{urllib.parse.quote(run_id, safe='')}/result.csv", headers={"Accept": "text/csv"})
        try:
            return ResultTable.from_csv(resp, numeric)
        finally:
            resp.close()

    def download_result(self, run_id: str, dest: PathLike) -> int:
        """Streams a run's CSV to ``dest`` (written to a temporary name, then renamed); returns bytes."""
        target = os.fspath(dest)
        tmp = f"{target}.{os.getpid()}.part"
        resp = self._http.stream("GET", f"/v2/runs/{urllib.parse.quote(run_id, safe='')}/result.csv", headers={"Accept": "text/csv"})
        written = 0
        try:
            with open(tmp, "wb") as out:
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    written += len(chunk)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        finally:
            resp.close()
        return written

    def run(self, run_id: str) -> Dict[str, Any]:
        """GET /v2/runs/{id}: the stored run's record and metadata (provenance, summary, KPIs)."""
        res = self._http.request("GET", f"/v2/runs/{urllib.parse.quote(run_id, safe='')}", idempotent=True)
        return _object(res.json("GET /v2/runs/{id}"), "GET /v2/runs/{id}")

    def usage(self, limit: Optional[int] = None, cursor: Optional[str] = None, since: Optional[str] = None) -> Dict[str, Any]:
        """GET /v2/usage: this key's usage records (one per run, newest first: ``records``), the
        totals, and ``next_cursor`` for the next page; ``since`` is an ISO 8601 time."""
        res = self._http.request("GET", "/v2/usage", query={"limit": limit, "cursor": cursor, "since": since}, idempotent=True)
        return _object(res.json("GET /v2/usage"), "GET /v2/usage")

    def sweep(
        self,
        fmu: FmuRef,
        parameters: Union[Mapping[str, Sequence[Union[float, bool]]], Sequence[Mapping[str, Any]]],
        stop_time: Optional[float] = None,
        *,
        payment_token: Optional[str] = None,
        **request: Any,
    ) -> SweepResult:
        """POST /v2/sweep: one run per combination of ``parameters`` (full factorial).

        ``parameters`` is ``{"name": [values...]}`` (or the REST list ``[{"name", "values"}]``);
        the other keyword arguments are those of :meth:`simulate`. Each run is stored: fetch its
        columns with ``result(run.run_id)``. Paid for all its runs at once (PaymentRequired).
        """
        grid = (
            [{"name": str(k), "values": list(v)} for k, v in parameters.items()]
            if isinstance(parameters, Mapping)
            else [dict(p) for p in parameters]
        )
        body = self._run_request(fmu, stop_time=stop_time, payment_token=payment_token, **request)
        body["parameters"] = grid
        res = self._http.request("POST", "/v2/sweep", json_body=body, idempotent=False)
        return SweepResult.from_json(_object(res.json("POST /v2/sweep"), "POST /v2/sweep"))

    # -- payments -----------------------------------------------------------------------------

    def quote(self, fmu: FmuRef, stop_time: Optional[float] = None, **request: Any) -> Quote:
        """POST /v2/quote: the price of this simulate request, whether payment is required and,
        when it is, a checkout to pay at. Nothing runs."""
        body = self._run_request(fmu, stop_time=stop_time, **request)
        res = self._http.request("POST", "/v2/quote", json_body=body, idempotent=False)
        return Quote.from_json(_object(res.json("POST /v2/quote"), "POST /v2/quote"))

    def pay(self, fmu: Optional[FmuRef] = None) -> CheckoutInfo:
        """POST /v2/pay: a checkout for one run (of ``fmu`` only, when given)."""
        body: Dict[str, Any] = {} if fmu is None else {"fmu_id": self._fmu_id(fmu)}
        res = self._http.request("POST", "/v2/pay", json_body=body, idempotent=False)
        obj = _object(res.json("POST /v2/pay"), "POST /v2/pay")
        return checkout_from_json(obj, obj)

    def redeem(self, session_id: str, wait: float = 0.0, interval: float = 2.0) -> Redemption:
        """GET /v2/payments/checkout/{session_id}: the single-use payment token once the checkout
        is paid (``status`` "redeemed"), or ``status`` "pending" before. With ``wait`` > 0, asks
        again every ``interval`` seconds until paid or ``wait`` seconds have passed.

        Then: ``simulate(..., payment_token=redemption.payment_token)``.
        """
        deadline = time.monotonic() + max(0.0, wait)
        path = f"/v2/payments/checkout/{urllib.parse.quote(session_id, safe='')}"
        while True:
            # Not retried: the token of a session is handed out once.
            res = self._http.request("GET", path, idempotent=False)
            out = Redemption.from_json(_object(res.json("GET /v2/payments/checkout/{id}"), "GET /v2/payments/checkout/{id}"))
            if out.status != "pending" or time.monotonic() + interval > deadline:
                return out
            time.sleep(interval)

    def credits(self, limit: Optional[int] = None, cursor: Optional[str] = None) -> Credits:
        """GET /v2/credits: the key's credit balance, the packs on sale, and the ledger (newest
        first; pass ``cursor=credits.next_cursor`` for older entries)."""
        res = self._http.request("GET", "/v2/credits", query={"limit": limit, "cursor": cursor}, idempotent=True)
        return Credits.from_json(_object(res.json("GET /v2/credits"), "GET /v2/credits"))

    def buy_credits(self, pack: Union[str, int]) -> CreditCheckout:
        """POST /v2/credits/checkout: a checkout for a credit pack (``pack`` is its id, its number
        of runs, e.g. ``"10"``). A human pays at ``checkout_url``; the runs are credited to this key
        once the payment provider confirms, and paid runs then draw from them without a checkout."""
        res = self._http.request("POST", "/v2/credits/checkout", json_body={"pack": str(pack)}, idempotent=False)
        return CreditCheckout.from_json(_object(res.json("POST /v2/credits/checkout"), "POST /v2/credits/checkout"))

    def credit_purchase(self, session_id: str) -> CreditPurchase:
        """GET /v2/credits/checkout/{session_id}: whether a pack purchase was credited yet."""
        path = f"/v2/credits/checkout/{urllib.parse.quote(session_id, safe='')}"
        res = self._http.request("GET", path, idempotent=True)
        return CreditPurchase.from_json(_object(res.json("GET /v2/credits/checkout/{id}"), "GET /v2/credits/checkout/{id}"))

    # -- helpers ------------------------------------------------------------------------------

    def _fmu_id(self, fmu: FmuRef) -> str:
        """An fmu_id as is; an Upload's id; a local .fmu file uploaded (by hash) first."""
        if isinstance(fmu, Upload):
            return fmu.fmu_id
        if isinstance(fmu, os.PathLike):
            return self.upload(fmu).fmu_id
        if isinstance(fmu, str):
            if fmu.startswith(("msl:", "sha256:")):
                return fmu
            if os.path.isfile(fmu):
                return self.upload(fmu).fmu_id
            if fmu.lower().endswith(".fmu"):
                raise FileNotFoundError(f"No such FMU file: {fmu}")
            return fmu
        raise TypeError(f"fmu must be an fmu_id, an Upload or a path, not {type(fmu).__name__}")

    def _run_request(self, fmu: FmuRef, **fields: Any) -> Dict[str, Any]:
        """The JSON body of simulate / sweep / quote: given fields only (the gateway fills defaults)."""
        body: Dict[str, Any] = {"fmu_id": self._fmu_id(fmu)}
        for name, value in fields.items():
            if value is None:
                continue
            if name in ("start_values",):
                value = dict(value)
            elif name in ("outputs", "kpis", "plot_variables"):
                value = list(value)
            elif name == "input_signals":
                value = [dict(s) for s in value]
            body[name] = value
        return body


def sha256_of_file(path: PathLike) -> str:
    """The sha256 (hex) of a file, read in chunks."""
    h = hashlib.sha256()
    with open(os.fspath(path), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _object(data: Any, what: str) -> Dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError("REMOTE_ERROR", f"The answer to {what} is not a JSON object")
    return data

