"""Shared fixtures of the PII tests: offline switches first, then a seeded document."""

from __future__ import annotations

import pytest

from curation.offline import enforce_offline

enforce_offline()

# Seeded PII values: tests assert each is gone from redacted text, logs, details and counts.
SEEDED = {
    "PERSON": ["Marlene Okafor", "Tobias Renwick", "Maria Gonzalez"],
    "EMAIL_ADDRESS": ["marlene.okafor@enron.com", "t..renwick@enron.com"],
    "PHONE_NUMBER": ["(713) 853-7041", "+44 20 7946 0958", "+49 30 901820"],
    "IBAN_CODE": ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"],
    "CREDIT_CARD": ["4111 1111 1111 1111"],
    "IP_ADDRESS": ["192.168.10.4"],
    "US_SSN": ["536-90-4399"],
    "UK_NINO": ["AB123456C"],
    "DE_TAX_ID": ["86095742719"],
    "FR_NIR": ["2 84 05 2A 123 456 32"],
    "DATE_OF_BIRTH": ["12/03/1975"],
    "STREET_ADDRESS": ["1400 Smith Street"],
    "PERSONAL_URL": ["https://intranet.example.com/~mokafor/cv.html"],
}

SEEDED_TEXT = """From : marlene.okafor@enron.com
To : t..renwick@enron.com
X - From : Okafor , Marlene
X - To : Renwick , Tobias K.
Subject : RE : Q3 Freight Plan

Tobias, please call me at (713) 853-7041, or in London on +44 20 7946 0958, Berlin +49 30 901820.
Refund to IBAN DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432, card 4111 1111 1111 1111.
The VPN logged 192.168.10.4. Her SSN is 536-90-4399, NINO AB123456C, Steuer-ID 86095742719,
numéro INSEE 2 84 05 2A 123 456 32. She was born on 12/03/1975 and lives at 1400 Smith Street.
CV: https://intranet.example.com/~mokafor/cv.html. Maria Gonzalez from Enron agreed.

Thanks ,
Marlene
"""


@pytest.fixture
def seeded() -> dict[str, list[str]]:
    """Seeded values per entity type."""
    return SEEDED


@pytest.fixture
def seeded_text() -> str:
    """A document holding every seeded value."""
    return SEEDED_TEXT


@pytest.fixture
def seeded_values() -> list[str]:
    """Every seeded value, flat."""
    return [v for values in SEEDED.values() for v in values]
