"""Render a `Doc` as Markdown, reStructuredText, plain text or an HTML fragment."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable

from curation.demo.prose import Doc

_PROTECT = "\x00"


def wrap(text: str, width: int, keep_together: Iterable[str] = ()) -> list[str]:
    """Wrap `text` at spaces without splitting any of `keep_together` across lines.

    Phone numbers, IBANs and names must stay on one line, or a PII recognizer (and the tests'
    ground truth) would see two fragments instead of one value.
    """
    for value in keep_together:
        if " " in value and value in text:
            text = text.replace(value, value.replace(" ", _PROTECT))
    lines = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
    return [line.replace(_PROTECT, " ") for line in lines] or [""]


def to_markdown(doc: Doc) -> str:
    """Markdown as a wiki exports it: ATX headings, dash lists, fenced code, pipe tables."""
    out = [f"# {doc.title}", ""]
    for block in doc.blocks:
        if block.kind == "heading":
            out += ["#" * min(block.level, 6) + " " + block.text, ""]
        elif block.kind == "paragraph":
            out += [" ".join(block.sentences), ""]
        elif block.kind == "bullets":
            out += [f"- {item}" for item in block.sentences] + [""]
        elif block.kind == "code":
            out += ["```bash", block.text, "```", ""]
        elif block.kind == "table":
            header, *rows = block.rows
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "|".join("---" for _ in header) + "|")
            out += ["| " + " | ".join(row) + " |" for row in rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


_RST_UNDERLINE = {0: "=", 1: "-", 2: "~", 3: "^"}


def to_rst(doc: Doc) -> str:
    """reStructuredText with a title, underlined sections, code-block and list-table."""
    out = ["=" * len(doc.title), doc.title, "=" * len(doc.title), ""]
    for block in doc.blocks:
        if block.kind == "heading":
            out += [block.text, _RST_UNDERLINE.get(block.level - 1, "^") * len(block.text), ""]
        elif block.kind == "paragraph":
            out += [" ".join(block.sentences), ""]
        elif block.kind == "bullets":
            out += [f"* {item}" for item in block.sentences] + [""]
        elif block.kind == "code":
            out += [".. code-block:: bash", ""] + [f"   {line}" for line in block.text.splitlines()]
            out.append("")
        elif block.kind == "table":
            out += [".. list-table::", "   :header-rows: 1", ""]
            for row in block.rows:
                out.append(f"   * - {row[0]}")
                out += [f"     - {cell}" for cell in row[1:]]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_text(doc: Doc, *, width: int = 0, keep_together: Iterable[str] = ()) -> str:
    """Plain text as people type it: underlined title, numbered headings, wrapped if asked."""
    keep = tuple(keep_together)
    out = [doc.title.upper(), ""]
    number = 0
    for block in doc.blocks:
        if block.kind == "heading":
            number += 1
            out += [f"{number}. {block.text}", ""]
        elif block.kind == "paragraph":
            text = " ".join(block.sentences)
            out += (wrap(text, width, keep) if width else [text]) + [""]
        elif block.kind == "bullets":
            out += [f"  * {item}" for item in block.sentences] + [""]
        elif block.kind == "code":
            out += ["    " + line for line in block.text.splitlines()] + [""]
        elif block.kind == "table":
            out += ["\t".join(row) for row in block.rows] + [""]
    return "\n".join(out).rstrip() + "\n"


def to_html_fragment(doc: Doc) -> str:
    """The article body as HTML (escaped); `knowledge_base.page` adds the boilerplate."""
    esc = html.escape
    out = [f"<h1>{esc(doc.title)}</h1>"]
    for block in doc.blocks:
        if block.kind == "heading":
            level = min(block.level, 6)
            out.append(f"<h{level}>{esc(block.text)}</h{level}>")
        elif block.kind == "paragraph":
            out.append(f"<p>{esc(' '.join(block.sentences))}</p>")
        elif block.kind == "bullets":
            out.append("<ol>" + "".join(f"<li>{esc(i)}</li>" for i in block.sentences) + "</ol>")
        elif block.kind == "code":
            out.append(f"<pre><code>{esc(block.text)}</code></pre>")
        elif block.kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows
            )
            out.append(f"<table>{rows}</table>")
    return "\n".join(out)
