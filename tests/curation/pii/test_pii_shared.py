"""Checks on the real corpora beside the checkout (skipped when ../shared/data is absent)."""

from __future__ import annotations

import email
import email.policy
import json
import re
from pathlib import Path

import pytest

from curation.pii import PiiConfig, redact_texts

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
STRICT_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
STRICT_PHONE = re.compile(r"(?<![\d-])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?![\d-])")


def needs(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs the real corpora at {path} (../shared/data beside the checkout)")
    return path


def test_real_emails_leak_no_address_or_phone_number():
    files = sorted(needs(DATA / "emails" / "maildir").rglob("*.eml"))[::20]
    bodies = []
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
        parts = [p.get_payload(decode=True) or b"" for p in message.walk()]
        bodies.append(b"\n".join(p for p in parts if isinstance(p, bytes)).decode("latin-1"))

    redacted, counts = redact_texts(bodies, PiiConfig())

    found = leaked = 0
    for raw, new in zip(bodies, redacted, strict=True):
        for pattern in (STRICT_EMAIL, STRICT_PHONE):
            for match in pattern.finditer(raw):
                found += 1
                leaked += match.group() in new
    assert found > 20
    assert leaked == 0
    assert sum(c.get("EMAIL_ADDRESS", 0) for c in counts) >= 20


def test_labelled_structured_entities_are_all_found():
    rows = json.loads(
        needs(DATA / "pii" / "presidio-research" / "synth_dataset_v2.json").read_text("utf-8")
    )
    wanted = {"EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "PHONE_NUMBER", "IP_ADDRESS", "US_SSN"}
    rows = [r for r in rows if any(s["entity_type"] in wanted for s in r["spans"])]

    redacted, _ = redact_texts([r["full_text"] for r in rows], PiiConfig(ner=False))

    missed = [
        s["entity_type"]
        for row, text in zip(rows, redacted, strict=True)
        for s in row["spans"]
        if s["entity_type"] in wanted and s["entity_value"] in text
    ]
    total = sum(s["entity_type"] in wanted for r in rows for s in r["spans"])
    assert total > 300
    assert len(missed) / total <= 0.01, missed
