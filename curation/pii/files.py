"""Redact one file outside a run (`curate redact`), so users can try a policy on samples.

JSONL and Parquet keep every field of every row (the id included) and gain `pii_counts`; the
output format follows the output file's extension. Any other input is read as plain text and
redacted as one document (to stdout when no output is named).

Each text is read by the rules and NER model of its language: a `lang` field when the rows have
one, otherwise the language the caller's `identify` function gives (the CLI passes fastText
lid.176 from `filters`, which `curation` must not import), otherwise unknown (English rules).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.pii.config import PiiConfig
from curation.pii.exceptions import InputFormatError
from curation.pii.stage import counts_array
from curation.tabular import TABLE_FORMATS, replacing

# Language codes (or None) of a batch of texts, in order: one call per file, column-wise.
Identify = Callable[[Sequence[str]], Sequence[str | None]]
LANG_FIELD = "lang"

# JSONL and Parquet as every tabular reader reads them; any other name is a plain text file.
TABLE_SUFFIXES = TABLE_FORMATS


@dataclass
class RedactSummary:
    """What `redact_file` did: row counts and entity counts, never values."""

    input: str
    output: str | None
    rows: int
    modified: int
    counts: dict[str, int] = field(default_factory=dict)
    text: str | None = None  # the redacted text of a plain-text input written to no file
    # rows per language code ("unknown" for none) and per name-finding method
    languages: dict[str, int] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {
            "input": self.input,
            "output": self.output,
            "rows": self.rows,
            "modified": self.modified,
            "counts": self.counts,
            "languages": self.languages,
            "methods": self.methods,
        }
        if self.text is not None:
            out["text"] = self.text
        return out


def file_format(path: Path) -> str:
    return TABLE_SUFFIXES.get(path.suffix.lower(), "text")


def redact_file(
    input_path: str | Path,
    output_path: str | Path | None,
    cfg: PiiConfig,
    *,
    text_field: str = "text",
    id_field: str | None = None,
    identify: Identify | None = None,
) -> RedactSummary:
    """Redact `input_path` into `output_path` (None: plain text returned in the summary).

    `identify` names the language of texts without a `lang` field (see the module docstring).
    """
    from curation.pii.stage import redact_texts_with_methods

    source = Path(input_path)
    if not source.is_file():
        raise InputFormatError(f"input {source} does not exist or is not a file")
    target = Path(output_path) if output_path else None
    in_format = file_format(source)
    if in_format == "text":
        text = _read_text(source)
        langs = list(identify([text])) if identify is not None else [None]
        (redacted,), (counts,), methods = redact_texts_with_methods([text], cfg, langs=langs)
        if target is not None and file_format(target) != "text":
            row = {"text": redacted, "pii_counts": counts}
            _write_table(pa.Table.from_pylist([row]), [row], target)
        elif target is not None:
            target.write_text(redacted, encoding="utf-8")
        return RedactSummary(
            str(source),
            str(target) if target else None,
            rows=1,
            modified=int(redacted != text),
            counts=counts,
            text=None if target else redacted,
            languages=_tally(m["lang"] or "unknown" for m in methods),
            methods=_tally(_method_name(m) for m in methods),
        )
    if target is None:
        raise InputFormatError(
            f"{source} is a table: name an output file with --out (.jsonl or .parquet)"
        )
    rows, table = _read_table(source, in_format)
    names = table.column_names if table is not None else _keys(rows)
    if text_field not in names:
        raise InputFormatError(
            f"{source} has no field {text_field!r} (fields: {', '.join(names) or 'none'}): "
            "pass --text-field"
        )
    if id_field and id_field not in names:
        raise InputFormatError(f"{source} has no id field {id_field!r}: pass --id-field or omit it")
    texts = [r.get(text_field) for r in rows]
    plain = [t if isinstance(t, str) else "" for t in texts]
    langs = _languages(rows, names, plain, identify)
    redacted, counts, methods = redact_texts_with_methods(plain, cfg, langs=langs)
    total: dict[str, int] = {}
    modified = 0
    for row, old, new, c in zip(rows, texts, redacted, counts, strict=True):
        if isinstance(old, str):
            row[text_field] = new
            modified += int(new != old)
        row["pii_counts"] = c
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    out_table = _with_redacted(table, text_field, rows) if table is not None else None
    _write_table(out_table, rows, target)
    return RedactSummary(
        str(source),
        str(target),
        len(rows),
        modified,
        dict(sorted(total.items())),
        languages=_tally(m["lang"] or "unknown" for m in methods),
        methods=_tally(_method_name(m) for m in methods),
    )


def _languages(
    rows: list[dict[str, Any]], names: list[str], texts: list[str], identify: Identify | None
) -> list[str | None]:
    """Each row's `lang` field where the rows have one, else what `identify` says of the texts
    without one (one batch call), else None."""
    given = [r.get(LANG_FIELD) for r in rows] if LANG_FIELD in names else [None] * len(rows)
    given = [g if isinstance(g, str) and g else None for g in given]
    todo = [i for i, g in enumerate(given) if g is None and texts[i].strip()]
    if identify is not None and todo:
        for i, lang in zip(todo, identify([texts[i] for i in todo]), strict=True):
            given[i] = lang
    return given


def _method_name(method: dict[str, Any]) -> str:
    return method["method"] + (f":{method['ner']}" if method.get("ner") else "")


def _tally(values) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputFormatError(f"{path} looks binary: give a .jsonl, .parquet or plain text file")
    return data.decode("utf-8", errors="replace")


def _read_table(path: Path, fmt: str) -> tuple[list[dict[str, Any]], pa.Table | None]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise InputFormatError(f"{path} is not a readable Parquet file: {error}") from error
        return table.to_pylist(), table
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputFormatError(f"{path} line {number} is not JSON: {error.msg}") from error
            if not isinstance(row, dict):
                raise InputFormatError(f"{path} line {number} is not a JSON object")
            rows.append(row)
    return rows, None


def _keys(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r))


def _with_redacted(table: pa.Table, text_field: str, rows: list[dict[str, Any]]) -> pa.Table:
    """The Parquet input with its text column replaced and `pii_counts` set; types preserved."""
    index = table.column_names.index(text_field)
    column = pa.array([r[text_field] for r in rows], table.schema.field(text_field).type)
    table = table.set_column(index, table.schema.field(text_field), column)
    counts = counts_array([r["pii_counts"] for r in rows])
    if "pii_counts" in table.column_names:
        return table.set_column(table.column_names.index("pii_counts"), "pii_counts", counts)
    return table.append_column("pii_counts", counts)


def _write_table(table: pa.Table | None, rows: list[dict[str, Any]], target: Path) -> None:
    fmt = file_format(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        if table is None:
            plain = [{k: v for k, v in r.items() if k != "pii_counts"} for r in rows]
            try:
                table = pa.Table.from_pylist(plain)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                raise InputFormatError(
                    f"rows have mixed field types and cannot become Parquet ({error}): write .jsonl"
                ) from error
            counts = counts_array([r.get("pii_counts", {}) for r in rows])
            table = table.append_column("pii_counts", counts)
        with replacing(target) as temporary:
            pq.write_table(table, temporary)
    elif fmt == "jsonl":
        with replacing(target) as temporary, temporary.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    else:
        raise InputFormatError(f"output {target}: use a .jsonl or .parquet name for table input")
