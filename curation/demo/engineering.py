"""`engineering/`: design docs (with draft revisions), runbooks (two archived copies),
reStructuredText service docs, meeting notes, a vendored README under MIT, and junk (a log
dump, a lorem-ipsum template, a stub). Declared license: Apache-2.0.
"""

from __future__ import annotations

import random

from curation.demo.people import STAFF
from curation.demo.phrases_engineering import (
    DESIGN_SECTIONS,
    RST_SENTENCES,
    RST_TOPICS,
    RUNBOOK_ALERTS,
    RUNBOOK_COMMANDS,
    RUNBOOK_SECTIONS,
)
from curation.demo.phrases_other import LOG_MESSAGES, LOREM, MAIL_BODIES
from curation.demo.phrases_policy import REVISION_ADDITIONS, lines
from curation.demo.plan import Plan, later, random_date
from curation.demo.prose import Deck, Doc, plain_text, revise, sentences
from curation.demo.render import to_markdown, to_rst
from curation.demo.slots import Filler, pick

_ENGINEERS = tuple(
    p for p in STAFF if "Engineering" in p.department or p.department == "IT Operations"
)

DESIGN_THEMES: tuple[tuple[str, str], ...] = (
    ("Outbox-based event publishing for {service}", "outbox"),
    ("Splitting {service} into API and worker tiers", "worker-split"),
    ("Idempotent writes in {service}", "idempotency"),
    ("Read replicas for {service}", "read-replicas"),
    ("Zero-downtime deployments for {service}", "zero-downtime"),
)

_DESIGN_EDITS: tuple[tuple[str, str], ...] = (
    ("We propose", "This document proposes"),
    ("will", "should"),
    ("at least", "a minimum of"),
    ("first", "initially"),
    ("is", "remains"),
    ("must", "needs to"),
    ("currently", "today"),
)

MEETING_ACTIONS = lines("""
{person} to share the updated capacity plan before the next sync.
{person} to confirm the maintenance window with the service owners.
{person} to write up the incident timeline and circulate it for review.
{person} to raise the access request for the new monitoring workspace.
{person} to check the licence position for the new load-testing tool.
{person} to schedule the restore test for {datastore}.
""")

MIT_README = """# retry-backoff

SPDX-License-Identifier: MIT

A small helper library for retrying calls to flaky dependencies with exponential backoff and
jitter. We vendored version 1.4.2 into the monorepo because the upstream project is no longer
maintained and we needed a fix for the maximum delay calculation.

## Usage

Wrap any callable with `retry(fn, attempts=5, base_delay=0.2, max_delay=10)`. The helper
retries on the exception types you pass in `retry_on` and re-raises the last error once the
attempts are used up. Delays grow exponentially from the base delay and are capped at the
maximum delay, with full jitter applied to spread retries from many clients over time.

## Changes made in this copy

The cap on the delay is now applied before the jitter instead of after it, so the maximum
delay is never exceeded. A type hint was added to the public function. No other behaviour was
changed, and the upstream tests pass unchanged.

## License

Copyright (c) 2021 The retry-backoff contributors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def design_doc(rng: random.Random, service: str, theme: str) -> Doc:
    """A design proposal for one service: author and reviewers, then the usual sections."""
    author = rng.choice(_ENGINEERS)
    reviewers = rng.sample([p for p in _ENGINEERS if p != author], 2)
    filler = Filler(rng, {"service": service, "datastore": pick(rng, "datastore")})
    doc = Doc(theme.format(service=service), author=author.name)
    doc.paragraph(
        [
            f"Author: {author.name}.",
            f"Reviewers: {reviewers[0].name}, {reviewers[1].name}.",
            "Status: in review.",
        ]
    )
    for title, pool in DESIGN_SECTIONS:
        doc.heading(title)
        count = {"Goals": 4, "Non-goals": 2}.get(title, rng.randint(3, 4))
        body = sentences(Deck(rng, pool), filler, min(count, len(pool)))
        if title in ("Goals", "Non-goals"):
            doc.bullets(body)
        else:
            doc.paragraph(body)
    return doc


def runbook_doc(rng: random.Random, service: str, alert: str) -> Doc:
    """An alert's runbook, with commands and an escalation section naming people and phones."""
    owner, backup = rng.sample(_ENGINEERS, 2)
    namespace = service.split("-")[0]
    filler = Filler(
        rng,
        {
            "service": service,
            "alert": alert,
            "namespace": namespace,
            "datastore": pick(rng, "datastore"),
        },
    )
    doc = Doc(f"Runbook: {service} {alert}", author=owner.name)
    for title, pool in RUNBOOK_SECTIONS:
        doc.heading(title)
        lead = [pool[0].format_map(filler)] if title == "Overview" else []
        doc.paragraph(lead + sentences(Deck(rng, pool[len(lead) :]), filler, rng.randint(3, 4)))
        if title in ("Diagnosis", "Mitigation"):
            commands = rng.sample(RUNBOOK_COMMANDS, 2)
            doc.code("\n".join(c.format_map(filler) for c in commands))
    doc.heading("Escalation")
    doc.paragraph(
        [
            "If the mitigation steps do not resolve the alert within thirty minutes, escalate.",
            f"The service owner is {owner.name}, reachable on {owner.phone}.",
            f"The secondary contact is {backup.name} ({backup.email}).",
            "Outside business hours, page the platform on-call rotation instead of calling directly.",
        ]
    )
    return doc


def rst_doc(rng: random.Random, service: str, topic: str) -> Doc:
    """A short reStructuredText service page with a code block and a settings table."""
    filler = Filler(rng, {"service": service})
    deck = Deck(rng, RST_SENTENCES)
    doc = Doc(f"{service}: {topic}", author="")
    doc.paragraph(sentences(deck, filler, 3))
    doc.heading("Details")
    doc.paragraph(sentences(deck, filler, 3))
    doc.code(f"make run SERVICE={service}\ncurl -s localhost:8080/healthz")
    doc.heading("Settings")
    doc.table(
        [
            ["Setting", "Default", "Meaning"],
            [
                f"{service.upper().replace('-', '_')}_POOL_SIZE",
                "20",
                "database connections per pod",
            ],
            [
                f"{service.upper().replace('-', '_')}_TIMEOUT_MS",
                str(rng.choice((500, 1000, 2000))),
                "upstream call timeout",
            ],
            [f"{service.upper().replace('-', '_')}_LOG_LEVEL", "info", "minimum log level"],
        ]
    )
    doc.paragraph(sentences(deck, filler, 2))
    return doc


def meeting_doc(rng: random.Random, when: str) -> Doc:
    """Meeting notes: attendees by name, discussion, actions assigned to people."""
    attendees = rng.sample(_ENGINEERS + (STAFF[2], STAFF[8]), 4)
    filler = Filler(rng, {"datastore": pick(rng, "datastore")})
    doc = Doc(f"Platform sync {when}", author=attendees[0].name)
    doc.paragraph([f"Attendees: {', '.join(p.name for p in attendees)}."])
    doc.heading("Discussion")
    deck = Deck(rng, MAIL_BODIES)
    doc.paragraph(sentences(deck, filler, 4))
    doc.paragraph(sentences(deck, filler, 3))
    doc.heading("Actions")
    doc.bullets(sentences(Deck(rng, MEETING_ACTIONS), filler, 3))
    return doc


def log_dump(rng: random.Random) -> str:
    """An application log pasted into a file: junk for quality filters."""
    out = []
    for i in range(260):
        template = rng.choice(LOG_MESSAGES)
        out.append(
            f"2024-03-14 02:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randrange(1000):03d} "
            + template.format(
                n=rng.randrange(1, 40),
                id=rng.randrange(10**6, 10**7),
                ms=rng.randrange(2, 3000),
                pct=rng.randrange(60, 100),
            )
        )
    return "\n".join(out) + "\n"


def build_engineering(plan: Plan, seed: int) -> None:
    """Design docs (three with drafts), runbooks, service docs, meeting notes, junk."""
    rng = random.Random(f"{seed}:engineering")
    services = (
        "ledger-api",
        "billing-worker",
        "auth-gateway",
        "search-indexer",
        "notification-service",
        "inventory-sync",
        "report-builder",
        "payments-router",
    )
    design_pairs = [(s, t) for s in services for t in DESIGN_THEMES]
    rng.shuffle(design_pairs)
    for index, (service, (theme, slug)) in enumerate(design_pairs[:15]):
        doc = design_doc(rng, service, theme)
        moment = random_date(rng)
        if index < 3:  # the draft in drafts/ and the final version: near-duplicates
            final = revise(
                doc, rng, substitutions=_DESIGN_EDITS, additions=REVISION_ADDITIONS, edits=2
            )
            final.blocks[0].sentences[2] = "Status: approved."
            draft_rel = plan.add(
                f"engineering/design/drafts/{service}-{slug}-draft.md",
                to_markdown(doc),
                moment,
                plain_text(doc),
            )
            final_rel = plan.add(
                f"engineering/design/{service}-{slug}.md",
                to_markdown(final),
                later(rng, moment, 7, 40),
                plain_text(final),
            )
            plan.near_duplicate_groups.append((draft_rel, final_rel))
        else:
            plan.add(
                f"engineering/design/{service}-{slug}.md", to_markdown(doc), moment, plain_text(doc)
            )
    runbook_pairs = [(s, a) for s in services for a in RUNBOOK_ALERTS]
    rng.shuffle(runbook_pairs)
    for index, (service, alert) in enumerate(runbook_pairs[:16]):
        doc = runbook_doc(rng, service, alert)
        moment = random_date(rng)
        rel = plan.add(
            f"engineering/runbooks/{service}-{alert.replace(' ', '-')}.md",
            to_markdown(doc),
            moment,
            plain_text(doc),
        )
        if index < 2:
            plan.copy(
                rel,
                "engineering/archive/wiki-export/" + rel.rsplit("/", 1)[1],
                later(rng, moment, 100, 300),
            )
    for service in services:
        title, slug = rng.choice(RST_TOPICS)
        doc = rst_doc(rng, service, title)
        plan.add(
            f"engineering/docs/{service}/{slug}.rst", to_rst(doc), random_date(rng), plain_text(doc)
        )
    for _ in range(16):
        moment = random_date(rng)
        when = moment.strftime("%Y-%m-%d")
        rel = f"engineering/meetings/{when}-platform-sync.md"
        if any(f.rel == rel for f in plan.files):
            continue
        doc = meeting_doc(rng, when)
        plan.add(rel, to_markdown(doc), moment, plain_text(doc))
    rel = plan.add("engineering/vendor/retry-backoff/README.md", MIT_README, random_date(rng))
    plan.license_overrides[rel] = "MIT"
    junk = [
        plan.add(
            "engineering/incidents/2024-03-14-ledger-api-logdump.txt",
            log_dump(rng),
            random_date(rng),
        ),
        plan.add(
            "engineering/templates/design-doc-template.md",
            "# Design document template\n\n"
            + "\n\n".join(f"## Section {i}\n\n{LOREM}" for i in range(1, 6))
            + "\n",
            random_date(rng),
        ),
        plan.add(
            "engineering/notes/todo.md",
            "# TODO\n\n- write this up\n- ask Henrik\n",
            random_date(rng),
        ),
    ]
    plan.junk.extend(junk)
    firmware = b"ACMEFW\x01\x00" + bytes(rng.randrange(256) for _ in range(4088))
    plan.unsupported.append(
        plan.add("engineering/tools/badge-reader-firmware-2.4.bin", firmware, random_date(rng))
    )
