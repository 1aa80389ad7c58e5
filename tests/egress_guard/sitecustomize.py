"""Loaded by every Python process of a guarded run (PYTHONPATH): refuse and record egress.

An audit hook sees every socket connect and name lookup in this process and its children
(Prefect's server, extraction workers). Non-loopback destinations are refused with an error and
appended to $CURATE_EGRESS_LOG, so a test can assert the run both succeeded and attempted none.
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
    host = str(host).strip("[]")
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _record(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {what}\n")


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address and not _is_loopback(address[0]):
            _record(f"connect {address!r}")
            raise ConnectionRefusedError(f"egress refused by test guard: {address!r}")
    elif event == "socket.getaddrinfo":
        host = args[0]
        if not _is_loopback(host):
            _record(f"getaddrinfo {host!r}")
            raise OSError(f"name lookup refused by test guard: {host!r}")


sys.addaudithook(_hook)
