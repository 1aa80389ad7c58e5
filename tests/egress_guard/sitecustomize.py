"""Loaded by every Python process of a guarded run (PYTHONPATH): refuse and record egress.

An audit hook sees every socket connect, datagram send and name lookup in this process and its
children (Prefect's server, the flow-run processes of a served deployment, extraction workers).
Non-loopback destinations and lookups of non-local names are refused with an error and appended
to $CURATE_EGRESS_LOG, so a test can assert the run both succeeded and attempted none.

Covered audit events: `socket.connect` (TCP and UDP alike, `connect_ex` too),
`socket.sendto` / `socket.sendmsg` (UDP datagrams, DNS queries sent by hand),
`socket.getaddrinfo`, `socket.gethostbyname` (raised by `gethostbyname` and
`gethostbyname_ex`), `socket.gethostbyaddr` and `socket.getnameinfo` (reverse lookups).
Only Python code is seen: a native library opening its own sockets is not, which is why the
tests also pin the no-telemetry switches.
"""

import ipaddress
import os
import sys

_LOG = os.environ.get("CURATE_EGRESS_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


def _is_loopback(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _is_loopback_address(address) -> bool:
    """A socket address: (host, port, ...) for IP families; anything else is local (AF_UNIX)."""
    if isinstance(address, tuple) and address:
        return _is_loopback(address[0])
    return True


def _record(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {what}\n")


def _refuse(what: str, error: type[OSError], message: str) -> None:
    _record(what)
    raise error(f"{message} refused by test guard: {what}")


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        if not _is_loopback_address(args[1]):
            _refuse(f"connect {args[1]!r}", ConnectionRefusedError, "egress")
    elif event in ("socket.sendto", "socket.sendmsg"):
        # sendmsg's address is None on a connected socket, whose connect was already checked
        if not _is_loopback_address(args[1]):
            _refuse(f"{event.split('.')[1]} {args[1]!r}", ConnectionRefusedError, "egress")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        if not _is_loopback(args[0]):
            _refuse(f"{event.split('.')[1]} {args[0]!r}", OSError, "name lookup")
    elif event == "socket.getnameinfo" and not _is_loopback_address(args[0]):
        _refuse(f"getnameinfo {args[0]!r}", OSError, "name lookup")


sys.addaudithook(_hook)
