r"""Fetching a feed from a URL without reaching into the server's own network.

An import from a URL runs on the server, so a URL typed into the Data page
could otherwise make the server read its own admin endpoints, a cloud metadata
service (``169.254.169.254``) or anything on the office network. By default
:func:`fetch_public_url`:

* accepts only ``http`` and ``https``;
* resolves the host and refuses it if **any** of its addresses is loopback,
  private, link-local, multicast, reserved or unspecified (IPv4-mapped IPv6
  addresses are judged by their IPv4 address);
* checks the address it actually connected to as well (so a DNS answer that
  changes between the check and the connection cannot slip through);
* does the same for every redirect, and follows at most 5;
* uses no proxy from the environment, and reads at most ``max_bytes``.

``allow_private=True`` lifts the address rule (not the scheme rule) for an
administrator importing from their own network on purpose, and for tests that
serve a feed on 127.0.0.1.

:func:`check_json_values` turns what Python's ``json`` accepts but nothing
downstream can hold (integers of thousands of digits, lone UTF-16 surrogates
such as ``"\ud800"``) into an :class:`~assetmap.errors.IngestError` naming
the field.

Examples
--------
>>> fetch_public_url("http://127.0.0.1:9/feed.json", max_bytes=10, timeout_s=1)
Traceback (most recent call last):
...
assetmap.errors.IngestError: http://127.0.0.1:9/feed.json: 127.0.0.1 is a loopback address; ...
>>> fetch_public_url("file:///etc/passwd", max_bytes=10, timeout_s=1)
Traceback (most recent call last):
...
assetmap.errors.IngestError: Only http and https URLs can be imported, got 'file:///etc/passwd'.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Final

from assetmap.errors import IngestError

__all__ = [
    "MAX_INT_DIGITS",
    "FeedTooLargeError",
    "check_json_values",
    "fetch_public_url",
    "parse_json_text",
]

MAX_REDIRECTS: Final = 5
#: Longest integer accepted in a feed (HSDS numbers are counts, years, prices).
MAX_INT_DIGITS: Final = 40

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FeedTooLargeError(IngestError):
    """A download was bigger than the bytes allowed for it."""


def _kind_of_private(address: IpAddress) -> str | None:
    """Return why an address is not public ("loopback", ...), or None if it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:
        return "non-public"
    return None


def _refuse(url: str, address: str, kind: str) -> IngestError:
    msg = (
        f"{url}: {address} is a {kind} address; imports fetch only from public internet "
        "addresses (an administrator can allow their own network with allow_private=True)."
    )
    return IngestError(msg)


def _check_url(url: str, *, allow_private: bool) -> None:
    """Check the scheme, then resolve the host and check every address."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        msg = f"Only http and https URLs can be imported, got {url!r}."
        raise IngestError(msg)
    host = parts.hostname
    if not host:
        msg = f"{url!r} names no host."
        raise IngestError(msg)
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as exc:
        msg = f"Could not look up the host of {url}: {exc}."
        raise IngestError(msg) from exc
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        kind = _kind_of_private(ipaddress.ip_address(address))
        if kind is not None:
            raise _refuse(url, address, kind)


def _check_peer(sock: socket.socket, host: str) -> None:
    address = str(sock.getpeername()[0]).split("%")[0]
    kind = _kind_of_private(ipaddress.ip_address(address))
    if kind is not None:
        sock.close()
        where = f"the connection to {host}"
        raise _refuse(where, address, kind)


class _PeerCheckedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock, self.host)


class _PeerCheckedHTTPS(http.client.HTTPSConnection, _PeerCheckedHTTP):
    """HTTPS whose TCP connection (made by ``_PeerCheckedHTTP.connect``) is checked first."""


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PeerCheckedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PeerCheckedHTTPS, req)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__()
        self._allow_private = allow_private

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        _check_url(newurl, allow_private=self._allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(*, allow_private: bool) -> urllib.request.OpenerDirector:
    if allow_private:
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
        ]
    else:
        handlers = [_HTTPHandler(), _HTTPSHandler()]
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), *handlers, _RedirectHandler(allow_private=allow_private)
    )


def fetch_public_url(
    url: str, *, max_bytes: int, timeout_s: float, allow_private: bool = False
) -> bytes:
    """Download ``url`` from a public address, at most ``max_bytes`` of it.

    Parameters
    ----------
    url
        An ``http://`` or ``https://`` address.
    max_bytes
        The most bytes accepted; a bigger body is refused, not cut.
    timeout_s
        Network timeout, in seconds.
    allow_private
        Also fetch from loopback, private and link-local addresses (an
        administrator's own network; tests on 127.0.0.1).

    Returns
    -------
    bytes

    Raises
    ------
    IngestError
        A scheme other than http(s), a non-public address (also after a
        redirect), an HTTP error, a network failure or an over-large body.
    """
    _check_url(url, allow_private=allow_private)
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url, headers={"Accept": "application/json", "User-Agent": "assetmap"}
    )
    try:
        with _opener(allow_private=allow_private).open(request, timeout=timeout_s) as response:
            length = response.headers.get("Content-Length")
            if length and length.isascii() and length.isdigit() and int(length) > max_bytes:
                msg = f"{url} is {int(length):,} bytes; the limit is {max_bytes:,}."
                raise FeedTooLargeError(msg)
            body: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        msg = f"{url} answered HTTP {exc.code} {exc.reason}."
        raise IngestError(msg) from exc
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, IngestError):
            raise reason from exc
        msg = f"Could not fetch {url}: {reason}."
        raise IngestError(msg) from exc
    if len(body) > max_bytes:
        msg = f"{url} sent more than {max_bytes:,} bytes; the limit is {max_bytes:,}."
        raise FeedTooLargeError(msg)
    return body


class _LongInt(str):
    """An integer literal too long to convert, kept as text until its field is known."""

    __slots__ = ()


def _parse_int(text: str) -> int | _LongInt:
    digits = len(text.lstrip("-"))
    return _LongInt(text) if digits > MAX_INT_DIGITS else int(text)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def check_json_values(data: Any, name: str) -> None:
    """Raise :class:`IngestError` naming the first field holding a value nothing can store.

    Looks for integers longer than :data:`MAX_INT_DIGITS` digits (as
    :func:`parse_json_text` leaves them) and strings or keys with a lone
    UTF-16 surrogate. Iterative: any depth is fine.
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _LongInt):
            digits = len(node.lstrip("-"))
            msg = (
                f"{name}: {path or 'the document'} is a number of {digits:,} digits; "
                f"the limit is {MAX_INT_DIGITS}."
            )
            raise IngestError(msg)
        if isinstance(node, str):
            if _has_surrogate(node):
                msg = (
                    f"{name}: {path or 'the document'} holds an invalid character "
                    "(a lone UTF-16 surrogate such as \\ud800)."
                )
                raise IngestError(msg)
        elif isinstance(node, Mapping):
            for key, value in node.items():
                where = f"{path}.{key}" if path else str(key)
                if _has_surrogate(str(key)):
                    msg = (
                        f"{name}: a field name under {path or 'the top level'} holds an "
                        "invalid character (a lone UTF-16 surrogate such as \\ud800)."
                    )
                    raise IngestError(msg)
                stack.append((value, where))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]") for i, value in enumerate(node))


def parse_json_text(text: str, name: str) -> Any:
    """Parse JSON text, then :func:`check_json_values`; errors name the file and field.

    Raises
    ------
    IngestError
        Malformed JSON (line and column), an over-long integer or a lone
        surrogate (the field).
    """
    try:
        data = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        msg = f"{name} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}."
        raise IngestError(msg) from exc
    check_json_values(data, name)
    return data
