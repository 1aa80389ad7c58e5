"""Fixed, fictional people and identifiers seeded into the demo corpus.

Every value comes from a fixed list so tests know exactly what PII the corpus carries. Phone
numbers come from ranges reserved for drama and documentation (Ofcom's 020 7946 0xxx, US
555-01xx, ARCEP's 01 99 00 xx xx) or are libphonenumber's own example numbers (UK mobiles
+44 7400 12345x): all of them pass `phonenumbers.is_valid_number`, so a recognizer that
validates numbers can find them. (Ofcom's fictional mobile range 07700 900xxx is *not* valid
for libphonenumber, which is why it is not used.) The IBANs are the published example accounts
with valid check digits. E-mail domains are subdomains of IANA's reserved example.com/org/net,
which still carry a real public suffix so that e-mail recognizers validating the top-level
domain accept them.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERNAL_DOMAIN = "acme.example.com"


@dataclass(frozen=True)
class Person:
    """One fictional employee or partner contact."""

    name: str
    title: str
    department: str
    email: str
    phone: str
    mobile: str | None = None
    city: str = "London"
    language: str = "en"

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


STAFF: tuple[Person, ...] = (
    Person(
        "Margaret Okafor",
        "Head of People Operations",
        "People Operations",
        "margaret.okafor@acme.example.com",
        "+44 20 7946 0958",
        "+44 7400 123456",
    ),
    Person(
        "Daniel Reyes",
        "Director of Platform Engineering",
        "Platform Engineering",
        "daniel.reyes@acme.example.com",
        "(212) 555-0100",
        "+1 917 555 0147",
        city="New York",
    ),
    Person(
        "Priya Raman",
        "Information Security Manager",
        "Information Security",
        "priya.raman@acme.example.com",
        "+44 20 7946 0321",
        "+44 7400 123457",
    ),
    Person(
        "Thomas Keller",
        "Leiter Finanzbuchhaltung",
        "Finance",
        "thomas.keller@acme.example.com",
        "+49 30 901820",
        "+49 151 2345 6789",
        city="Berlin",
        language="de",
    ),
    Person(
        "Sophie Laurent",
        "Responsable des achats",
        "Procurement",
        "sophie.laurent@acme.example.com",
        "+33 1 99 00 12 34",
        city="Paris",
        language="fr",
    ),
    Person(
        "Henrik Johansson",
        "Site Reliability Engineer",
        "Platform Engineering",
        "henrik.johansson@acme.example.com",
        "+44 20 7946 0712",
    ),
    Person(
        "Aisha Bello",
        "Senior Data Analyst",
        "Finance",
        "aisha.bello@acme.example.com",
        "+44 20 7946 0187",
    ),
    Person(
        "Marcus Chen",
        "Engineering Manager, Payments",
        "Payments Engineering",
        "marcus.chen@acme.example.com",
        "(415) 555-0142",
        city="San Francisco",
    ),
    Person(
        "Elena Petrova",
        "IT Service Desk Lead",
        "IT Operations",
        "elena.petrova@acme.example.com",
        "+44 20 7946 0644",
    ),
    Person(
        "James Whitfield",
        "Chief Financial Officer",
        "Finance",
        "james.whitfield@acme.example.com",
        "+44 20 7946 0001",
        "+44 7400 123458",
    ),
    Person(
        "Laura Fischer",
        "HR Business Partner",
        "People Operations",
        "laura.fischer@acme.example.com",
        "+49 30 901821",
        city="Berlin",
        language="de",
    ),
    Person(
        "Oliver Grant",
        "Facilities Manager",
        "Facilities",
        "oliver.grant@acme.example.com",
        "+44 20 7946 0855",
    ),
)

PARTNERS: tuple[Person, ...] = (
    Person(
        "Rebecca Hughes",
        "Account Director",
        "Northwind Consulting",
        "rebecca.hughes@northwind.example.org",
        "+44 20 7946 0499",
    ),
    Person(
        "Stefan Braun",
        "Vertriebsleiter",
        "Kranich Logistik GmbH",
        "s.braun@kranich-logistik.example.net",
        "+49 30 901830",
        city="Hamburg",
        language="de",
    ),
    Person(
        "Kevin O'Malley",
        "Customer Success Manager",
        "Contoso Analytics",
        "kevin.omalley@contoso.example.net",
        "+1 (617) 555-0199",
        city="Boston",
    ),
    Person(
        "Nadia Haddad",
        "Procurement Officer",
        "Fabrikam Retail",
        "nadia.haddad@fabrikam.example.org",
        "(312) 555-0175",
        city="Chicago",
    ),
)

PEOPLE: tuple[Person, ...] = STAFF + PARTNERS

# Shared mailboxes are addresses, not people; they are still e-mail PII for a recognizer.
MAILBOXES: tuple[str, ...] = (
    "it-servicedesk@acme.example.com",
    "payroll@acme.example.com",
    "accounts.payable@acme.example.com",
)

SERVICE_DESK_PHONE = "+44 20 7946 0600"


@dataclass(frozen=True)
class BankAccount:
    """A published example IBAN with the bank and holder it is quoted with."""

    iban: str
    bic: str
    bank: str
    holder: str


BANK_ACCOUNTS: tuple[BankAccount, ...] = (
    BankAccount(
        "DE89 3704 0044 0532 0130 00", "COBADEFFXXX", "Commerzbank", "Kranich Logistik GmbH"
    ),
    BankAccount(
        "GB82 WEST 1234 5698 7654 32", "WESTGB2L", "Westminster Bank", "Northwind Consulting Ltd"
    ),
    BankAccount(
        "FR14 2004 1010 0505 0001 3M02 606",
        "PSSTFRPPPAR",
        "La Banque Postale",
        "Fabrikam Retail SAS",
    ),
    BankAccount("NL91 ABNA 0417 1643 00", "ABNANL2A", "ABN AMRO", "Contoso Analytics B.V."),
)


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check, so tests can prove the seeded IBANs are well-formed.

    Examples
    --------
    >>> iban_is_valid("DE89 3704 0044 0532 0130 00")
    True
    >>> iban_is_valid("DE88 3704 0044 0532 0130 00")
    False
    """
    compact = iban.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1
