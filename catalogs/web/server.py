"""Run the web catalog with uvicorn: refuse unsafe bindings, listen, print the address.

The socket is bound here, before uvicorn starts, so a port in use is a one-line error instead
of a uvicorn log and exit. Uvicorn's access log stays off: the sign-in address carries the token
in its query string, and a log line would keep it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from catalogs.web.exceptions import InsecureBinding, WebCatalogError
from catalogs.web.security import is_loopback

if TYPE_CHECKING:
    import uvicorn

    from catalogs.registry import CatalogSettings

MIN_TOKEN_CHARS = 16


def check_binding(host: str, token: str | None) -> None:
    """Refuse a non-loopback address without a token, and a token too short to resist guessing.

    Examples
    --------
    >>> check_binding("127.0.0.1", None)
    >>> check_binding("0.0.0.0", None)
    Traceback (most recent call last):
    ...
    catalogs.web.exceptions.InsecureBinding: refusing to serve the catalog on 0.0.0.0 without --token: anyone who can reach that address could read every document; pass --token (e.g. $(python -c 'import secrets; print(secrets.token_urlsafe())')) or keep the default --host 127.0.0.1
    """
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise InsecureBinding(
            f"the token must have at least {MIN_TOKEN_CHARS} characters: use e.g. "
            "$(python -c 'import secrets; print(secrets.token_urlsafe())')"
        )
    if not token and not is_loopback(host):
        raise InsecureBinding(
            f"refusing to serve the catalog on {host} without --token: anyone who can reach "
            "that address could read every document; pass --token "
            "(e.g. $(python -c 'import secrets; print(secrets.token_urlsafe())')) or keep the "
            "default --host 127.0.0.1"
        )


def address(host: str, port: int, token: str | None = None) -> str:
    """The address to open: with a token, the one-time sign-in address that sets the cookie.

    Examples
    --------
    >>> address("127.0.0.1", 8765)
    'http://127.0.0.1:8765/'
    >>> address("::1", 8765, "s3cret-s3cret-s3cret")
    'http://[::1]:8765/?token=s3cret-s3cret-s3cret'
    """
    from urllib.parse import quote

    name = f"[{host}]" if ":" in host else host
    base = f"http://{name}:{port}/"
    return f"{base}?token={quote(token, safe='')}" if token else base


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as error:
        raise WebCatalogError(
            f"cannot listen on {host}:{port} ({error.strerror or error}): choose another --port "
            "or --host"
        ) from error


def build_server(
    catalog_settings: CatalogSettings, *, token: str | None, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn server for the catalog app; run it with `server.run(sockets=[...])`."""
    import uvicorn

    from catalogs.web.app import create_app

    config = uvicorn.Config(
        create_app(catalog_settings, token=token),
        log_level=log_level,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
    )
    return uvicorn.Server(config)


def serve(
    catalog_settings: CatalogSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the catalog until interrupted; `announce` gets the address to open."""
    check_binding(host, token)
    sock = listen(host, port)
    bound_port = sock.getsockname()[1]
    server = build_server(catalog_settings, token=token)
    announce(address(host, bound_port, token))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
