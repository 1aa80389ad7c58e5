"""HTML: main-content extraction with trafilatura, a plain tag stripper when it finds nothing.

Bytes are decoded by the page's own declaration first (BOM, `<meta charset>`), then UTF-8,
then the best Latin code page or charset-normalizer (`charsets.decode_bytes`), so legacy pages
in EUC-KR or ISO-8859-1 come out right; a reason is recorded when the encoding was not stated.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from curation.ingest.extract.base import Extracted, clean_metadata, library_version, require_text
from curation.ingest.extract.charsets import decode_bytes, encoding_metadata

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "svg"}
_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
    "section", "article", "blockquote", "dd", "dt", "hr", "title",
}  # fmt: skip


def declared_charset(data: bytes) -> str | None:
    """The charset named by a `<meta>` tag in the first 4 KB, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace").lower() if match else None


def extract_html(data: bytes, *, what: str) -> Extracted:
    decoded = decode_bytes(data, what, declared=declared_charset(data))
    return extract_html_text(
        decoded.text,
        what=what,
        encoding=decoded.encoding,
        encoding_reason=encoding_metadata(decoded).get("encoding_reason"),
    )


def extract_html_text(
    markup: str, *, what: str, encoding: str | None = None, encoding_reason: str | None = None
) -> Extracted:
    """Extract from already decoded HTML (also used for the HTML parts of e-mails)."""
    import trafilatura

    document = None
    if markup.strip():
        document = trafilatura.bare_extraction(
            markup,
            with_metadata=True,
            include_tables=True,
            include_comments=False,
            favor_recall=True,
        )
    text = ((document.text if document is not None else None) or "").strip()
    stripper = _TagStripper()
    if text.strip():
        extractor, version = "trafilatura", library_version("trafilatura")
        title = document.title
        author = document.author
    else:
        stripper.feed(markup)
        stripper.close()
        text = stripper.text()
        extractor, version = "html.parser", library_version("python")
        title, author = stripper.title.strip() or None, None
    require_text(text, what)
    metadata = clean_metadata(
        {
            "encoding": encoding,
            "encoding_reason": encoding_reason,
            "description": getattr(document, "description", None),
            "sitename": getattr(document, "sitename", None),
            "date": getattr(document, "date", None),
            "language": getattr(document, "language", None),
            "license": getattr(document, "license", None),
        }
    )
    return Extracted(
        text=text,
        mime_type="text/html",
        extractor=extractor,
        extractor_version=version,
        title=title or None,
        author=author or None,
        metadata=metadata,
        encoding=encoding,
    )


class _TagStripper(HTMLParser):
    """Visible text of a page: tags dropped, scripts and styles skipped, blocks on new lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIP_TAGS:
            self._skip += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self._skip:
            self.parts.append(data)

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in joined.split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
