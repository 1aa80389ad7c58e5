"""Slot vocabulary for sentence templates: the nouns, numbers and names that vary per sentence.

Templates say `{system}` or `{days}`; a `Filler` draws a value from these lists with the
document's seeded `random.Random`, so the same seed always yields the same prose while two
documents built from one template still read differently.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from curation.demo.people import STAFF

_WORDS: dict[str, tuple[str, ...]] = {
    "system": (
        "the HR information system",
        "the expense management tool",
        "the identity provider",
        "the document management system",
        "the finance ERP",
        "the customer relationship platform",
        "the service desk portal",
        "the payroll platform",
        "the learning management system",
        "the travel booking portal",
    ),
    "team": (
        "People Operations",
        "Information Security",
        "IT Operations",
        "Finance",
        "Legal and Compliance",
        "Platform Engineering",
        "Procurement",
        "Facilities",
        "Internal Audit",
        "Payments Engineering",
    ),
    "approver": (
        "their line manager",
        "the budget holder",
        "the department head",
        "the data owner",
        "the Information Security Manager",
        "the HR Business Partner",
        "the Chief Financial Officer",
    ),
    "period": ("month", "quarter", "six months", "year"),
    "days": ("5", "10", "14", "15", "20", "30", "45", "60", "90"),
    "hours": ("2", "4", "8", "24", "48", "72"),
    "pct": ("3", "4.5", "6", "7.2", "8", "11", "12.5", "15", "18", "22", "27"),
    "small_pct": ("0.2", "0.4", "0.5", "0.8", "1.1", "1.5", "2.3"),
    "amount": ("1,200", "2,500", "4,750", "8,000", "12,400", "25,000", "48,000", "115,000"),
    "millions": ("1.4", "2.8", "3.6", "4.1", "6.9", "9.3", "12.7", "18.2"),
    "quarter": ("Q1", "Q2", "Q3", "Q4"),
    "year": ("2022", "2023", "2024"),
    "region": (
        "the United Kingdom",
        "Germany",
        "France",
        "the Nordics",
        "North America",
        "Benelux",
    ),
    "city": ("London", "Berlin", "Paris", "Manchester", "New York", "Amsterdam"),
    "service": (
        "ledger-api",
        "billing-worker",
        "auth-gateway",
        "search-indexer",
        "notification-service",
        "inventory-sync",
        "report-builder",
        "payments-router",
    ),
    "datastore": ("PostgreSQL", "the Kafka cluster", "Redis", "the object store", "Elasticsearch"),
    "queue": ("the ingest topic", "the retry queue", "the dead-letter queue", "the outbox table"),
    "metric": (
        "p99 latency",
        "error rate",
        "consumer lag",
        "CPU saturation",
        "connection pool usage",
        "queue depth",
        "disk usage",
    ),
    "latency": ("120", "180", "250", "400", "650", "900"),
    "version": ("14", "15", "16", "3.6", "7.2", "2.11"),
    "tool": (
        "Terraform",
        "Ansible",
        "the deployment pipeline",
        "Grafana",
        "the on-call paging tool",
        "Vault",
        "Argo CD",
    ),
    "app": (
        "Outlook",
        "the VPN client",
        "Microsoft Teams",
        "the expense app",
        "the password manager",
        "the intranet",
        "OneDrive",
        "the printer portal",
    ),
    "device": ("laptop", "mobile phone", "tablet", "desktop workstation", "security key"),
    "customer": (
        "Fabrikam Retail",
        "Contoso Analytics",
        "Northwind Consulting",
        "Kranich Logistik",
        "Tailspin Travel",
        "Woodgrove Insurance",
    ),
    "product": (
        "the invoicing module",
        "the customer portal",
        "the mobile app",
        "the analytics dashboard",
        "the partner API",
    ),
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "September",
        "October",
        "November",
    ),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "count": ("3", "4", "5", "6", "7", "9", "12", "17", "24", "31", "48"),
    "headcount": ("42", "58", "73", "96", "128", "154", "210"),
    "initiative": (
        "the cloud migration",
        "the ERP upgrade",
        "the data retention programme",
        "the office consolidation",
        "the zero-trust rollout",
        "the supplier review",
        "the customer onboarding redesign",
    ),
}


def _person(rng: random.Random) -> str:
    return rng.choice(STAFF).name


_CALLABLES: dict[str, Callable[[random.Random], str]] = {"person": _person}


class Filler(dict):
    """A `str.format_map` mapping that draws missing slot values from the vocabulary.

    Values given in `fixed` (a document's service name, its owner) stay the same in every
    sentence of that document; everything else is drawn afresh per sentence.
    """

    def __init__(self, rng: random.Random, fixed: Mapping[str, Any] | None = None) -> None:
        super().__init__(fixed or {})
        self._rng = rng

    def __missing__(self, key: str) -> str:
        if key in _CALLABLES:
            return _CALLABLES[key](self._rng)
        try:
            return self._rng.choice(_WORDS[key])
        except KeyError:
            raise KeyError(f"template slot {{{key}}} has no vocabulary") from None


def pick(rng: random.Random, slot: str) -> str:
    """One value of `slot`, for callers that need it outside a template."""
    return rng.choice(_WORDS[slot])
