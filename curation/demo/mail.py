"""`mail/`: .eml threads between staff and partners (names, addresses, phones in signatures,
IBANs in payment requests), a German supplier e-mail, and plain-text memos including a French
one and a memo saved twice. Declared license: LicenseRef-Acme-Internal.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime

from curation.demo.people import BANK_ACCOUNTS, PARTNERS, STAFF, BankAccount, Person
from curation.demo.phrases_other import (
    FRENCH_MEMO,
    GERMAN_MAIL,
    GERMAN_MAIL_OPENING,
    MAIL_BODIES,
    MAIL_CLOSERS,
    MAIL_OPENERS,
    MAIL_SUBJECTS,
    MEMO_SENTENCES,
    MEMO_SUBJECTS,
    PAYMENT_SENTENCES,
)
from curation.demo.plan import KEEP_TOGETHER, Plan, later, random_date
from curation.demo.prose import Deck, sentences
from curation.demo.render import wrap
from curation.demo.slots import Filler
from curation.demo.writers import eml_bytes, wrap_body

_COMPANY = {p.name: p.department for p in PARTNERS}


def signature(person: Person) -> str:
    """An Outlook-style signature: name, title and company, phones, address."""
    company = _COMPANY.get(person.name, "Acme Industries Ltd")
    phone = f"Tel: {person.phone}" + (f" | Mobile: {person.mobile}" if person.mobile else "")
    return "\n".join(["--", person.name, f"{person.title}, {company}", phone, person.email])


def bank_block(account: BankAccount) -> str:
    """Bank details as suppliers paste them into a payment request."""
    return "\n".join(
        [
            f"Account holder: {account.holder}",
            f"Bank: {account.bank}",
            f"IBAN: {account.iban}",
            f"BIC: {account.bic}",
        ]
    )


def _message_id(seed: int, key: str) -> str:
    return f"<{hashlib.sha1(f'{seed}:{key}'.encode()).hexdigest()[:20]}@acme.example.com>"


def _mailbox(person: Person) -> str:
    return person.email.split("@")[0]


def _emit(plan: Plan, rel: str, data: bytes, moment: datetime, headers: str, body: str) -> str:
    return plan.add(rel, data, moment, headers + "\n\n" + body)


def build_mail(plan: Plan, seed: int) -> None:
    """E-mail threads (some HTML), a German supplier e-mail, then the memos."""
    rng = random.Random(f"{seed}:mail")
    counter = 0
    threads = 50
    for thread in range(threads):
        sender = rng.choice(STAFF)
        recipient = rng.choice([p for p in STAFF + PARTNERS if p != sender])
        cc = rng.sample([p for p in STAFF if p not in (sender, recipient)], rng.randint(0, 2))
        filler = Filler(
            rng, {"invoice": f"INV-{rng.randrange(10000, 99999)}", "qn": str(rng.randint(1, 4))}
        )
        subject = rng.choice(MAIL_SUBJECTS).format_map(filler)
        moment = random_date(rng)
        previous = None
        payment = subject.startswith("Payment details") or subject.startswith("Invoice")
        for turn in range(rng.choice((1, 1, 2, 2, 3, 4))):
            if turn:
                sender, recipient = recipient, sender
                moment = later(rng, moment, 0, 3)
            paragraphs = [f"Hi {recipient.first_name},"]
            paragraphs += sentences(Deck(rng, MAIL_OPENERS), filler, 1)
            body = sentences(Deck(rng, MAIL_BODIES), filler, rng.randint(5, 8))
            cut = rng.randint(2, 3)
            paragraphs += [" ".join(body[:cut]), " ".join(body[cut:])]
            if payment and turn == 0:
                account = rng.choice(BANK_ACCOUNTS)
                paragraphs.append(" ".join(sentences(Deck(rng, PAYMENT_SENTENCES), filler, 2)))
                paragraphs.append(bank_block(account))
            paragraphs.append(f"{rng.choice(MAIL_CLOSERS)}\n{sender.first_name}")
            paragraphs.append(signature(sender))
            text = wrap_body(paragraphs, KEEP_TOGETHER)
            key = f"{thread}:{turn}"
            mid = _message_id(seed, key)
            data = eml_bytes(
                sender=sender,
                to=[recipient],
                cc=cc,
                subject=("Re: " if turn and not subject.startswith("Re:") else "") + subject,
                date=moment,
                message_id=mid,
                body=text,
                in_reply_to=previous,
                html=sender in STAFF and counter % 3 == 0,  # Outlook users send HTML too
            )
            previous = mid
            owner = sender if sender in STAFF else recipient
            folder = "sent" if owner is sender else "inbox"
            counter += 1
            headers = (
                f"From: {sender.name} <{sender.email}>\nTo: {recipient.name} <{recipient.email}>\n"
                + "".join(f"Cc: {p.name} <{p.email}>\n" for p in cc)
            )
            _emit(
                plan,
                f"mail/{_mailbox(owner)}/{folder}/{counter:04d}.eml",
                data,
                moment,
                headers,
                text,
            )
    # A German supplier writes to Finance about an unpaid invoice, with bank details.
    supplier = next(p for p in PARTNERS if p.language == "de")
    keller = next(p for p in STAFF if p.name == "Thomas Keller")
    german = list(GERMAN_MAIL)
    rng.shuffle(german)
    body_de = wrap_body(
        [
            f"Sehr geehrter Herr {keller.name.split()[1]},",
            " ".join([GERMAN_MAIL_OPENING] + german[:4]),
            " ".join(german[4:]),
            bank_block(BANK_ACCOUNTS[0]),
            "Mit freundlichen Grüßen\nStefan Braun",
            signature(supplier),
        ],
        KEEP_TOGETHER,
    )
    moment = random_date(rng)
    data = eml_bytes(
        sender=supplier,
        to=[keller],
        cc=[],
        subject="Offene Rechnung RE-2024-0815",
        date=moment,
        message_id=_message_id(seed, "de"),
        body=body_de,
    )
    rel = _emit(
        plan,
        "mail/thomas.keller/inbox/0900-offene-rechnung.eml",
        data,
        moment,
        f"From: {supplier.name} <{supplier.email}>\nTo: {keller.name} <{keller.email}>",
        body_de,
    )
    plan.languages[rel] = "de"
    build_memos(plan, rng)


def build_memos(plan: Plan, rng: random.Random) -> None:
    """All-staff memos as typed into a text editor, wrapped at 80 columns."""
    cfo = next(p for p in STAFF if p.name == "James Whitfield")
    for index, subject in enumerate(MEMO_SUBJECTS):
        moment = random_date(rng)
        filler = Filler(rng, {"person": rng.choice([p for p in STAFF if p != cfo]).name})
        body = sentences(Deck(rng, MEMO_SENTENCES), filler, 7)
        text = (
            "\n".join(
                [
                    "MEMORANDUM",
                    "",
                    "To: All staff",
                    f"From: {cfo.name}, {cfo.title}",
                    f"Date: {moment:%d %B %Y}",
                    f"Subject: {subject}",
                    "",
                    "\n".join(wrap(" ".join(body[:3]), 80, KEEP_TOGETHER)),
                    "",
                    "\n".join(wrap(" ".join(body[3:]), 80, KEEP_TOGETHER)),
                    "",
                    f"Questions about this memo can be sent to {cfo.email} or raised with your line manager.",
                    "",
                    cfo.name,
                ]
            )
            + "\n"
        )
        rel = plan.add(f"mail/memos/{moment:%Y-%m}-memo-{index + 1:02d}.txt", text, moment)
        if index == 0:
            okafor = STAFF[0]
            plan.copy(
                rel,
                f"mail/{_mailbox(okafor)}/saved/all-staff-memo.txt",
                later(rng, moment, 1, 10),
            )
    laurent = next(p for p in STAFF if p.name == "Sophie Laurent")
    french = list(FRENCH_MEMO)
    rng.shuffle(french)
    moment = random_date(rng)
    text = (
        "\n".join(
            [
                "NOTE DE SERVICE",
                "",
                "À : tous les collaborateurs du site de Paris",
                f"De : {laurent.name}, {laurent.title}",
                f"Date : {moment:%d/%m/%Y}",
                "",
                "\n".join(wrap(" ".join(french[:6]), 80)),
                "",
                "\n".join(wrap(" ".join(french[6:]), 80)),
                "",
                f"Contact : {laurent.email}, {laurent.phone}",
                "",
                laurent.name,
            ]
        )
        + "\n"
    )
    rel = plan.add("mail/memos/note-de-service-paris.txt", text, moment)
    plan.languages[rel] = "fr"
