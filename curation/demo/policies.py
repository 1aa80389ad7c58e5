"""`policies/`: HR and IT policies in three revisions each (near-duplicates), one archived
copy, and a German policy. Declared license: LicenseRef-Acme-Internal.
"""

from __future__ import annotations

import random
from datetime import datetime

from curation.demo.people import STAFF, Person
from curation.demo.phrases_other import GERMAN_POLICY
from curation.demo.phrases_policy import (
    COMPLIANCE,
    POLICY_TOPICS,
    PURPOSE,
    RESPONSIBILITIES,
    REVIEW,
    REVISION_ADDITIONS,
    REVISION_SUBSTITUTIONS,
    SCOPE,
    PolicyTopic,
)
from curation.demo.plan import KEEP_TOGETHER, Plan, later, random_date
from curation.demo.prose import Deck, Doc, plain_text, revise, sentences
from curation.demo.render import to_markdown, to_text
from curation.demo.slots import Filler
from curation.demo.writers import docx_bytes

# Format per topic: most policies live as Markdown on the wiki, some as Word files with the
# names people give them (spaces included: file names are data), some as plain text.
_FORMATS = {
    "annual-leave-policy": ("md", "{slug}-v{n}.md"),
    "remote-working-policy": ("md", "{slug}-v{n}.md"),
    "travel-and-expenses-policy": ("docx", "{slug}-v{n}.docx"),
    "code-of-conduct": ("docx", "Code of Business Conduct v{n}.docx"),
    "onboarding-policy": ("txt", "{slug}-v{n}.txt"),
    "parental-leave-policy": ("md", "{slug}-v{n}.md"),
    "password-and-authentication-policy": ("md", "{slug}-v{n}.md"),
    "acceptable-use-policy": ("md", "{slug}-v{n}.md"),
    "data-classification-policy": ("docx", "{slug}-v{n}.docx"),
    "backup-and-recovery-policy": ("txt", "{slug}-v{n}.txt"),
    "security-incident-response-policy": ("md", "{slug}-v{n}.md"),
    "access-control-policy": ("md", "{slug}-v{n}.md"),
}


def _owner(topic: PolicyTopic) -> Person:
    """The first staff member of the owning team (Legal has none: Security covers it)."""
    return next((p for p in STAFF if p.department == topic.owner), STAFF[2])


def policy_doc(topic: PolicyTopic, rng: random.Random) -> Doc:
    """Version 1 of a policy: numbered sections drawn from the section pools."""
    owner = _owner(topic)
    filler = Filler(rng, {"subject": topic.subject, "team": topic.owner})
    doc = Doc(topic.title, author=owner.name)
    doc.paragraph(
        [
            f"Document owner: {owner.name}, {owner.title}.",
            "Classification: Internal.",
            "Version 1.0.",
        ]
    )
    doc.heading("Purpose")
    doc.paragraph(sentences(Deck(rng, PURPOSE), filler, 3))
    doc.heading("Scope")
    doc.paragraph(sentences(Deck(rng, SCOPE), filler, 4))
    doc.heading("Policy")
    rules = [r.format_map(filler) for r in topic.rules]
    cut = rng.randint(3, 5)
    doc.paragraph(rules[:cut])
    doc.paragraph(rules[cut:])
    doc.heading("Responsibilities")
    resp = sentences(Deck(rng, RESPONSIBILITIES), filler, 6)
    doc.paragraph(resp[:2])
    doc.bullets(resp[2:])
    doc.heading("Compliance")
    doc.paragraph(sentences(Deck(rng, COMPLIANCE), filler, 4))
    doc.heading("Review")
    doc.paragraph(sentences(Deck(rng, REVIEW), filler, 3))
    doc.heading("Contact")
    doc.paragraph(
        [
            f"Questions about this policy can be sent to {owner.name} at {owner.email} "
            f"or by phone on {owner.phone}."
        ]
    )
    return doc


def _set_version(doc: Doc, number: int) -> None:
    doc.blocks[0].sentences[2] = f"Version {number}.0."


def _encode(kind: str, doc: Doc, created: datetime, modified: datetime) -> tuple[bytes | str, str]:
    if kind == "md":
        return to_markdown(doc), plain_text(doc)
    if kind == "txt":
        return to_text(doc, width=90, keep_together=KEEP_TOGETHER), plain_text(doc)
    return docx_bytes(doc, author=doc.author, created=created, modified=modified), plain_text(doc)


def german_policy(rng: random.Random) -> Doc:
    """The German leave policy (non-English document with German contact details)."""
    person = next(p for p in STAFF if p.name == "Laura Fischer")
    body = list(GERMAN_POLICY)
    rng.shuffle(body)
    doc = Doc("Urlaubsrichtlinie für Deutschland", author=person.name, lang="de")
    doc.paragraph([f"Verantwortlich: {person.name}, {person.title}.", "Version 2.1."])
    doc.heading("Zweck und Geltungsbereich")
    doc.paragraph(body[:4])
    doc.heading("Regelungen")
    doc.paragraph(body[4:9])
    doc.paragraph(body[9:13])
    doc.heading("Verantwortlichkeiten")
    doc.paragraph(body[13:])
    doc.heading("Ansprechpartner")
    doc.paragraph(
        [
            f"Bei Fragen wenden Sie sich bitte an {person.name} unter {person.email} "
            f"oder telefonisch unter {person.phone}."
        ]
    )
    return doc


def build_policies(plan: Plan, seed: int) -> None:
    """Twelve policies x three revisions, an archived copy and a German policy."""
    rng = random.Random(f"{seed}:policies")
    for topic in POLICY_TOPICS:
        kind, pattern = _FORMATS[topic.slug]
        created = random_date(rng)
        versions = [policy_doc(topic, rng)]
        for number in (2, 3):
            versions.append(
                revise(
                    versions[-1],
                    rng,
                    substitutions=REVISION_SUBSTITUTIONS,
                    additions=REVISION_ADDITIONS,
                    edits=rng.randint(2, 3),
                )
            )
            _set_version(versions[-1], number)
        group = []
        moment = created
        for number, doc in enumerate(versions, start=1):
            rel = f"policies/{topic.family}/" + pattern.format(slug=topic.slug, n=number)
            data, text = _encode(kind, doc, created, moment)
            group.append(plan.add(rel, data, moment, text))
            moment = later(rng, moment, 60, 240)
        plan.near_duplicate_groups.append(tuple(group))
        if topic.slug == "annual-leave-policy":
            plan.copy(
                group[0],
                "policies/archive/2022/annual-leave-policy-v1.md",
                later(rng, created, 400, 500),
            )
    doc = german_policy(rng)
    rel = plan.add(
        "policies/de/urlaubsrichtlinie.md", to_markdown(doc), random_date(rng), plain_text(doc)
    )
    plan.languages[rel] = "de"
