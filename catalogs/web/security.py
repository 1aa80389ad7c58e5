"""What every response carries and what every request must show: headers, host and token.

Plain ASGI middleware, so that they wrap every response the app sends, error pages included:
- `SecurityHeaders`: a CSP that allows no script at all, only our stylesheet and images from
  ourselves or `data:`, forms to ourselves and no framing; nosniff; no referrer.
- `HostGate`: without a token the catalog trusts whoever can reach loopback, so it only answers
  requests addressed to a loopback name. A web page whose domain an attacker re-points at
  127.0.0.1 (DNS rebinding) sends its own domain as Host and is refused.
- `TokenGate`: with a token, every request shows it, as `Authorization: Bearer` or as the
  cookie set by visiting `/?token=...` once (that visit redirects, dropping the token from the
  address bar and history). The cookie holds a value derived from the token, not the token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
COOKIE_NAME = "curate_catalog"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only.

    Examples
    --------
    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "10.1.2.3")]
    [True, True, True, False, False]
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def session_value(token: str) -> str:
    """The cookie value for `token`: an HMAC of a fixed label, so the cookie is not the token."""
    return hmac.new(token.encode(), b"curate catalog session", hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class SecurityHeaders:
    """Add the security headers (and `no-store` outside /static) to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name.encode() for name, _ in SECURITY_HEADERS}
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS]
                if not cacheable:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(
    send: Send, status: int, text: str, headers: Iterable[tuple[str, str]] = ()
) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *((k.encode(), v.encode()) for k, v in headers),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def host_name(host: str) -> str:
    """The name part of a Host header, lower-cased, without port or IPv6 brackets.

    Examples
    --------
    >>> [host_name(h) for h in ("127.0.0.1:8765", "LocalHost", "[::1]:80", "[::1]")]
    ['127.0.0.1', 'localhost', '::1', '::1']
    """
    if host.startswith("["):
        return host[1 : host.find("]")].lower() if "]" in host else host.lower()
    return host.rsplit(":", 1)[0].lower()


class HostGate:
    """Answer only requests whose Host is one of `allowed` (port ignored); None allows all."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] | None) -> None:
        self.app = app
        self.allowed = None if allowed is None else {h.strip("[]").lower() for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and self.allowed is not None
            and host_name(_header(scope, b"host")) not in self.allowed
        ):
            await _plain(
                send,
                400,
                "this catalog answers only requests addressed to 127.0.0.1 or localhost; "
                "serve it with --token to reach it under another name\n",
            )
            return
        await self.app(scope, receive, send)


class TokenGate:
    """Require the token on every request; `?token=` sets the session cookie and redirects."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token
        self.session = session_value(token) if token else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.token:
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = [value for key, value in query if key == "token"]
        if offered:
            if len(offered) == 1 and _same(offered[0], self.token):
                await self._login(scope, send, [(k, v) for k, v in query if k != "token"])
            else:
                await self._refuse(send)
            return
        if self._authorized(scope):
            await self.app(scope, receive, send)
            return
        await self._refuse(send)

    def _authorized(self, scope: Scope) -> bool:
        scheme, _, credential = _header(scope, b"authorization").partition(" ")
        if scheme.lower() == "bearer" and credential and _same(credential.strip(), self.token):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(_header(scope, b"cookie"))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is simply no session
            return False
        morsel = cookie.get(COOKIE_NAME)
        return morsel is not None and _same(morsel.value, self.session)

    async def _login(self, scope: Scope, send: Send, rest: list[tuple[str, str]]) -> None:
        # The path is re-quoted and given one leading slash: `//host` would leave the site.
        location = "/" + quote(scope.get("path", "/").lstrip("/"))
        if rest:
            location += "?" + urlencode(rest)
        cookie = f"{COOKIE_NAME}={self.session}; Path=/; HttpOnly; SameSite=Strict"
        await _plain(
            send,
            303,
            "signed in\n",
            [("location", location), ("set-cookie", cookie)],
        )

    async def _refuse(self, send: Send) -> None:
        await _plain(
            send,
            401,
            "this catalog needs its access token: open the address that `curate catalog serve` "
            "printed, or send `Authorization: Bearer <token>`\n",
            [("www-authenticate", 'Bearer realm="curate catalog"')],
        )
