"""The switches that keep every library from reaching outside the premises.

Each variable here was seen causing an outbound connection when unset (see ARCHITECTURE.md):
Prefect's server heartbeat and client analytics, tldextract's public-suffix download inside
Presidio's e-mail recognizer, and the Hugging Face hub pings of `datasets`. They are set before
any of those libraries is imported, by every entry point.
"""

from __future__ import annotations

import os

OFFLINE_ENVIRONMENT: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    # The ephemeral Prefect server takes 11-18 s to start on a 2-core machine; default is 20.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_UI_ENABLED": "false",
}


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def enforce_offline() -> None:
    """Set every no-egress switch, overriding anything inherited from the environment.

    Loopback is added to `NO_PROXY`: httpx (Prefect's client) would otherwise send even
    127.0.0.1 traffic to the local Prefect server through `$HTTP_PROXY`.
    """
    os.environ.update(OFFLINE_ENVIRONMENT)
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    hosts = [h.strip() for h in no_proxy.split(",") if h.strip()]
    hosts += [h for h in LOOPBACK_HOSTS if h not in hosts]
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(hosts)
