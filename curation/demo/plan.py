"""The plan of a demo corpus: every file's bytes, mtime and text, plus the ground truth.

Source builders add files to a `Plan`; only `generate_demo_corpus` touches the disk. Keeping
the text that went into each file lets the ground truth (which PII values really occur) be
computed from what was written instead of being declared by hand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from curation.demo.people import BANK_ACCOUNTS, MAILBOXES, PEOPLE, SERVICE_DESK_PHONE

# Every file of the corpus is dated inside this window; fixed so mtimes are reproducible.
EPOCH_START = datetime(2022, 1, 3, 8, 0, tzinfo=UTC)
EPOCH_END = datetime(2024, 11, 29, 18, 0, tzinfo=UTC)

# Values a layout must never split across lines (see render.wrap).
KEEP_TOGETHER: tuple[str, ...] = tuple(
    sorted(
        {p.phone for p in PEOPLE}
        | {p.mobile for p in PEOPLE if p.mobile}
        | {p.name for p in PEOPLE}
        | {a.iban for a in BANK_ACCOUNTS}
        | {SERVICE_DESK_PHONE},
        key=lambda v: (-len(v), v),
    )
)


@dataclass(frozen=True)
class PlannedFile:
    """One file to write; `text` is what a perfect extractor would return ("" for binaries)."""

    rel: str
    data: bytes
    mtime: datetime
    text: str


@dataclass
class Plan:
    """Files plus ground-truth labels, filled in by the source builders."""

    files: list[PlannedFile] = field(default_factory=list)
    near_duplicate_groups: list[tuple[str, ...]] = field(default_factory=list)
    exact_duplicate_groups: list[tuple[str, ...]] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)
    license_overrides: dict[str, str] = field(default_factory=dict)

    def add(self, rel: str, data: bytes | str, mtime: datetime, text: str | None = None) -> str:
        """Add a file; `text` defaults to `data` itself for text formats."""
        if any(f.rel == rel for f in self.files):
            raise ValueError(f"demo corpus plans {rel} twice")
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if text is None:
            text = data if isinstance(data, str) else ""
        self.files.append(PlannedFile(rel, raw, mtime, text))
        return rel

    def copy(self, rel: str, to: str, mtime: datetime) -> str:
        """Add an exact byte copy of an already planned file and record the pair."""
        original = next(f for f in self.files if f.rel == rel)
        self.add(to, original.data, mtime, original.text)
        self.exact_duplicate_groups.append((rel, to))
        return to

    def find(self, rel: str) -> PlannedFile:
        return next(f for f in self.files if f.rel == rel)


def random_date(
    rng: random.Random, start: datetime = EPOCH_START, end: datetime = EPOCH_END
) -> datetime:
    """A working-hours timestamp between start and end, whole seconds."""
    span = int((end - start).total_seconds())
    moment = start + timedelta(seconds=rng.randrange(span))
    moment = moment.replace(
        hour=rng.randrange(8, 18), minute=rng.randrange(60), second=rng.randrange(60)
    )
    if moment.weekday() >= 5:
        moment -= timedelta(days=moment.weekday() - rng.randrange(5))
    return min(max(moment, start), end)


def later(rng: random.Random, moment: datetime, min_days: int, max_days: int) -> datetime:
    """A working-hours timestamp some days after `moment`, capped at the corpus window."""
    moment = moment + timedelta(days=rng.randint(min_days, max_days), minutes=rng.randrange(240))
    if moment.hour >= 18:
        moment = moment.replace(hour=rng.randrange(8, 12)) + timedelta(days=1)
    if moment.weekday() >= 5:
        moment += timedelta(days=7 - moment.weekday())
    return min(moment, EPOCH_END)


ALL_EMAILS: tuple[str, ...] = tuple(p.email for p in PEOPLE) + MAILBOXES
ALL_PHONES: tuple[str, ...] = (
    tuple(p.phone for p in PEOPLE)
    + tuple(p.mobile for p in PEOPLE if p.mobile)
    + (SERVICE_DESK_PHONE,)
)
ALL_IBANS: tuple[str, ...] = tuple(a.iban for a in BANK_ACCOUNTS)
ALL_NAMES: tuple[str, ...] = tuple(p.name for p in PEOPLE)
