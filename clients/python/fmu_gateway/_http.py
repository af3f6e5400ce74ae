"""One HTTP exchange with a gateway, on urllib only.

A deadline per call; retries with backoff only for calls that are safe to send twice (GETs, the
content-addressed upload) and only on 429 / 503 / a dropped connection, honouring Retry-After;
every failed answer turned into a coded exception (errors.py). Paid calls are never retried.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Sequence, TypeVar, Union

from .errors import GatewayError, GatewayTimeout, GatewayUnavailable, ProtocolError, RetryableError, error_from_response

__all__ = ["Transport", "Response", "MultipartFile"]

_RETRY_STATUSES = frozenset({429, 503})
#: The longest wait between two attempts, whatever Retry-After says: the caller can wait longer.
_MAX_RETRY_WAIT = 10.0
_CHUNK = 1 << 16

QueryValue = Union[str, int, float, bool, None]
T = TypeVar("T")


@dataclass
class Response:
    """A finished answer: status, headers (lower-case names) and the whole body."""

    status: int
    headers: Dict[str, str]
    body: bytes

    def json(self, what: str) -> Any:
        """The body as JSON; ProtocolError (REMOTE_ERROR) when it is not."""
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            raise ProtocolError(
                "REMOTE_ERROR", f"The answer to {what} is not JSON (HTTP {self.status})", self.status
            ) from None


class MultipartFile:
    """A multipart/form-data body with one file field, streamed from disk in chunks.

    Iterable more than once (each iteration reopens the file), so a retried upload resends it;
    its length is known up front, so it is sent with Content-Length rather than chunked.
    """

    def __init__(self, field: str, path: str, filename: str, content_type: str = "application/octet-stream") -> None:
        self.path = path
        self.boundary = f"fmugw-{uuid.uuid4().hex}"
        safe_name = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{safe_name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode("utf-8")
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        self.length = len(self._head) + os.path.getsize(path) + len(self._tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        with open(self.path, "rb") as f:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                yield chunk
        yield self._tail


class Transport:
    """Sends requests to one gateway with one key."""

    def __init__(
        self,
        base_url: str,
        key: Optional[str],
        timeout: float,
        retries: int,
        user_agent: str,
        backoff: float = 0.2,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"url must be an http(s) URL such as https://gateway.example.com, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.retries = max(0, retries)
        self.user_agent = user_agent
        self.backoff = backoff
        self._opener = urllib.request.build_opener(_KeyKeepingRedirects())

    # -- public -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, QueryValue]] = None,
        json_body: Any = None,
        body: Optional[Union[bytes, MultipartFile]] = None,
        headers: Optional[Mapping[str, str]] = None,
        idempotent: bool,
        accept: Sequence[int] = (),
    ) -> Response:
        """Sends the request and reads the whole answer. A status >= 400 that is not in
        ``accept`` raises the coded exception; 2xx (and accepted statuses) are returned."""

        def once() -> Response:
            with self._open(method, path, query, json_body, body, headers, accept) as resp:
                return Response(resp.status, _headers(resp), self._read(resp, method, path))

        return self._with_retries(once, idempotent)

    def stream(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, QueryValue]] = None,
        headers: Optional[Mapping[str, str]] = None,
        idempotent: bool = True,
    ) -> http.client.HTTPResponse:
        """Opens the request and returns the open response for the caller to read and close
        (large bodies: the CSV of a result). Retries apply to opening only."""
        return self._with_retries(lambda: self._open(method, path, query, None, None, headers, ()), idempotent)

    # -- internals --------------------------------------------------------------------------

    def _url(self, path: str, query: Optional[Mapping[str, QueryValue]]) -> str:
        url = self.base_url + path
        if query:
            pairs = {k: _query_text(v) for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        return url

    def _open(
        self,
        method: str,
        path: str,
        query: Optional[Mapping[str, QueryValue]],
        json_body: Any,
        body: Optional[Union[bytes, MultipartFile]],
        headers: Optional[Mapping[str, str]],
        accept: Sequence[int],
    ) -> http.client.HTTPResponse:
        hdrs: Dict[str, str] = {"Accept": "application/json", "User-Agent": self.user_agent}
        if self.key is not None:
            hdrs["Authorization"] = f"Bearer {self.key}"
        data: Optional[Union[bytes, Iterable[bytes]]] = None
        if json_body is not None:
            data = json.dumps(json_body, allow_nan=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif isinstance(body, MultipartFile):
            data = body
            hdrs["Content-Type"] = body.content_type
            hdrs["Content-Length"] = str(body.length)
        elif body is not None:
            data = body
        hdrs.update(headers or {})
        req = urllib.request.Request(self._url(path, query), data=data, headers=hdrs, method=method)
        try:
            resp: http.client.HTTPResponse = self._opener.open(req, timeout=self.timeout)
            return resp
        except urllib.error.HTTPError as e:
            status = e.code
            retry_after = e.headers.get("Retry-After") if e.headers is not None else None
            try:
                raw = e.read()
            except (OSError, http.client.HTTPException):
                raw = b""
            finally:
                e.close()
            if status in accept:
                return _Accepted(status, dict((k.lower(), v) for k, v in (e.headers or {}).items()), raw)  # type: ignore[return-value]
            raise error_from_response(status, raw, retry_after, self.base_url) from None
        except urllib.error.URLError as e:
            raise self._transport_error(e.reason, method, path) from None
        except (OSError, http.client.HTTPException) as e:
            raise self._transport_error(e, method, path) from None

    def _read(self, resp: http.client.HTTPResponse, method: str, path: str) -> bytes:
        try:
            return resp.read()
        except (OSError, http.client.HTTPException) as e:
            raise self._transport_error(e, method, path) from None

    def _transport_error(self, reason: object, method: str, path: str) -> GatewayError:
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return GatewayTimeout(
                "REMOTE_TIMEOUT",
                f"The gateway at {self.base_url} did not answer {method} {path} within {self.timeout:g} s",
                0,
                {"timeout_seconds": self.timeout},
                "Try again later, or pass a larger timeout= to Client for long simulations.",
            )
        return GatewayUnavailable(
            "REMOTE_UNAVAILABLE",
            f"Cannot reach the gateway at {self.base_url} ({reason})",
            0,
            {"cause": str(reason)},
            "Check the URL and that the gateway is running.",
        )

    def _with_retries(self, call: Callable[[], T], idempotent: bool) -> T:
        attempts = self.retries + 1 if idempotent else 1
        for attempt in range(attempts):
            try:
                return call()
            except (RetryableError, GatewayTimeout) as e:
                retryable = isinstance(e, RetryableError) and (e.status in _RETRY_STATUSES or e.status == 0)
                if not retryable or attempt + 1 >= attempts:
                    raise
                time.sleep(self._delay(attempt, e.retry_after if isinstance(e, RetryableError) else None))
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: Optional[float]) -> float:
        if retry_after is not None:
            return min(retry_after, _MAX_RETRY_WAIT)
        base: float = self.backoff * (2**attempt)
        return base / 2 + random.random() * base


class _KeyKeepingRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but sends the API key only to the origin it was given for (or its
    https upgrade): a redirect to another host must not receive it."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Optional[urllib.request.Request]:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and not _same_origin(req.full_url, new.full_url):
            for name in ("Authorization", "authorization"):
                new.headers.pop(name, None)
                new.unredirected_hdrs.pop(name, None)
        return new


def _same_origin(old: str, new: str) -> bool:
    a, b = urllib.parse.urlsplit(old), urllib.parse.urlsplit(new)
    if (a.hostname or "").lower() != (b.hostname or "").lower():
        return False
    default = {"http": 80, "https": 443}
    if a.scheme == b.scheme:
        return (a.port or default.get(a.scheme)) == (b.port or default.get(b.scheme))
    # http → https on the same host (a TLS upgrade) keeps the key; https → http never does.
    return a.scheme == "http" and b.scheme == "https" and b.port in (None, 443)


class _Accepted:
    """An error status the caller asked to handle itself (e.g. 404 → "not stored"), as a response."""

    def __init__(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self._body = body

    def read(self, amt: Optional[int] = None) -> bytes:
        body, self._body = self._body, b""
        return body

    def getheaders(self) -> Sequence[tuple]:  # type: ignore[type-arg]
        return list(self.headers.items())

    def __enter__(self) -> "_Accepted":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def close(self) -> None:
        return None


def _headers(resp: Union[http.client.HTTPResponse, _Accepted]) -> Dict[str, str]:
    return {k.lower(): v for k, v in resp.getheaders()}


def _query_text(v: QueryValue) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

