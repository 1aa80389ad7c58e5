"""Undeclared 8-bit text comes back with its exact letters, and says why its encoding was chosen.

Letters in seven legacy encodings go through a folder ingest; the decision itself is checked
on `decode_bytes` for the pages Western text is confused with.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curation.ingest import SourceConfig, extract_bytes, ingest_source
from curation.ingest.extract.charsets import decode_bytes

LETTERS = {
    "cp1252": (
        "Chère Madame, la crème brûlée était délicieuse. Nous espérons vous revoir à Noël ; "
        "l’addition s’élève à 42 € — « très bon rapport qualité-prix ».",
        "cp1252",
    ),
    "latin-1": (
        "Sehr geehrte Frau Müller, vielen Dank für Ihre Grüße aus Köln. Die Größe passt, die "
        "Lieferung kommt nächste Woche. Mit freundlichen Grüßen, Jürgen Weiß",
        "cp1252",  # Latin-1 without 0x80-0x9F reads identically as cp1252, its superset
    ),
    "iso8859-15": (
        "Chère Hélène, le prix du cœur de bœuf est de 25 € le kilo. Ça coûte cher, mais "
        "l'œuvre du chef en vaut la peine.",
        "iso8859-15",
    ),
    "cp1250": (
        "Szanowny Panie, dziękujemy za zamówienie. Przesyłka zostanie wysłana jutro z Łodzi. "
        "Zażółć gęślą jaźń. Z poważaniem, Paweł Śliwiński",
        "cp1250",
    ),
    "koi8-r": (
        "Уважаемый господин Иванов, благодарим вас за письмо. Встреча состоится в понедельник "
        "в десять часов в нашем офисе.",
        "koi8_r",
    ),
    "shift_jis": (
        "拝啓 時下ますますご清栄のこととお慶び申し上げます。会議は来週の月曜日に本社で行います。敬具",
        "cp932",  # charset-normalizer names Shift-JIS by its Windows superset
    ),
    "gb18030": (
        "尊敬的王先生，感谢您的来信。会议将于下周一上午十点在北京总部举行。此致敬礼",
        "gb18030",
    ),
}


def test_letters_in_legacy_encodings_keep_their_exact_characters(tmp_path: Path) -> None:
    for codec, (text, _) in LETTERS.items():
        (tmp_path / f"letter-{codec}.txt").write_bytes(text.encode(codec))
    source = SourceConfig(id="letters", path=str(tmp_path))
    (batch,) = list(ingest_source(source, run_id="r", workers=1))
    assert batch.quarantined.num_rows == 0
    rows = {row["relative_path"]: row for row in batch.documents.to_pylist()}
    for codec, (text, encoding) in LETTERS.items():
        row = rows[f"letter-{codec}.txt"]
        metadata = json.loads(row["metadata_json"])
        assert row["text"] == text, codec
        assert metadata["encoding"] == encoding, codec
        assert metadata["encoding_reason"], codec  # the why, in words


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("crème brûlée", "latin-1", "cp1252"),  # short: the Western page wins the tie
        ("Tisztelt Uram, köszönjük a levelét. A következő ülés hétfőn lesz.", "cp1250", "cp1250"),
        ("Vážený pane, děkujeme. Příliš žluťoučký kůň úpěl ďábelské ódy.", "iso8859-2", None),
        ("Gerbiamas pone, dėkojame už jūsų laišką. Susitikimas įvyks pirmadienį.", "cp1257", None),
        ("Sayın Bay Yılmaz, mektubunuz için teşekkür ederiz. Toplantı pazartesi.", "cp1254", None),
        ("Kæri herra, þakka þér fyrir bréfið. Fundurinn verður á mánudaginn.", "cp1252", None),
        ("He said “hello” – and left… ’twas fine", "cp1252", "cp1252"),
        ("Add 1½ cups of flour and ¼ tsp salt.", "latin-1", "cp1252"),
    ],
)
def test_latin_pages_are_told_apart(text: str, codec: str, expected: str | None) -> None:
    decoded = decode_bytes(text.encode(codec), "letter")
    assert decoded.text == text
    if expected is not None:
        assert decoded.encoding == expected


def test_the_reason_names_the_evidence() -> None:
    french = decode_bytes(
        "Le café crème est servi à la terrasse, près de la fenêtre.".encode("cp1252"), "x"
    )
    assert french.reason.startswith("cp1252: 100% of accented letters are Western European")
    assert "function words" in french.reason
    assert decode_bytes(b"plain ascii", "x").reason == "valid UTF-8"


def test_a_latin1_declaration_with_cp1252_punctuation_is_read_as_cp1252() -> None:
    page = (
        '<html><head><meta charset="iso-8859-1"><title>Offre</title></head><body><article>'
        "<p>L’offre « spéciale » coûte 30 € – valable jusqu’à dimanche pour tous nos clients "
        "fidèles, sur présentation de leur carte.</p></article></body></html>"
    ).encode("cp1252")
    result = extract_bytes(page, "offre.html")
    assert "L’offre « spéciale » coûte 30 € – valable jusqu’à dimanche" in result.text
    assert result.metadata["encoding"] == "cp1252"
    assert "declared iso-8859-1" in result.metadata["encoding_reason"]


def test_undecodable_bytes_are_still_an_encoding_error() -> None:
    from curation.exceptions import ExtractionError

    with pytest.raises(ExtractionError) as caught:
        extract_bytes(bytes(range(128, 256)) * 4, "noise.txt")
    assert caught.value.reason == "ingest.encoding_error"
