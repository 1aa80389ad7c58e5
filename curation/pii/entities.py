"""The entity types the PII stage detects, and which detector family owns each.

Names follow Presidio's where Presidio has one (PERSON, EMAIL_ADDRESS, IBAN_CODE, ...), so spec
authors can read Presidio's documentation; the ones Presidio lacks are ours.
"""

from __future__ import annotations

PERSON = "PERSON"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PHONE_NUMBER = "PHONE_NUMBER"
STREET_ADDRESS = "STREET_ADDRESS"
IBAN_CODE = "IBAN_CODE"
CREDIT_CARD = "CREDIT_CARD"
IP_ADDRESS = "IP_ADDRESS"
US_SSN = "US_SSN"
UK_NINO = "UK_NINO"
DE_TAX_ID = "DE_TAX_ID"
FR_NIR = "FR_NIR"
ES_NIF = "ES_NIF"
IT_FISCAL_CODE = "IT_FISCAL_CODE"
NL_BSN = "NL_BSN"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
PERSONAL_URL = "PERSONAL_URL"

SUPPORTED_ENTITIES: tuple[str, ...] = (
    PERSON,
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    STREET_ADDRESS,
    IBAN_CODE,
    CREDIT_CARD,
    IP_ADDRESS,
    US_SSN,
    UK_NINO,
    DE_TAX_ID,
    FR_NIR,
    ES_NIF,
    IT_FISCAL_CODE,
    NL_BSN,
    DATE_OF_BIRTH,
    PERSONAL_URL,
)

# When two detections overlap, the higher priority wins: checksummed and structured patterns
# beat the statistical NER, which is where the small model's false positives (PERSON on numbers,
# ORG on e-mail addresses) get overruled.
PRIORITY: dict[str, int] = {
    EMAIL_ADDRESS: 90,
    IBAN_CODE: 90,
    CREDIT_CARD: 90,
    PERSONAL_URL: 85,
    IP_ADDRESS: 80,
    US_SSN: 80,
    UK_NINO: 80,
    DE_TAX_ID: 80,
    FR_NIR: 80,
    ES_NIF: 80,
    IT_FISCAL_CODE: 80,
    NL_BSN: 80,
    PHONE_NUMBER: 70,
    DATE_OF_BIRTH: 60,
    STREET_ADDRESS: 50,
    PERSON: 40,
}
CUSTOM_PRIORITY = 95
