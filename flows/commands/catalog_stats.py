"""`curate catalog stats` and `curate catalog diff`: what a version holds, what changed.

Each command calls one library function (`catalogs.stats.version_stats`,
`catalogs.diff.diff_versions`) through `flows.cli.query_catalog`, which turns domain errors into
one line on stderr and exit code 2.

The commands are defined inside `register`, after `flows.cli` has defined the shared options:
this module is imported while `flows.cli` is still being imported, so it cannot import that
module at its top. For the same reason it does not use `from __future__ import annotations`:
typer reads the parameter annotations, and as strings they would name `register`'s locals.
"""

from typing import Annotated, Any

import typer

REFERENCE_HELP = "NAME or NAME@VERSION (default: newest)."


def register(catalog_app: typer.Typer) -> None:
    """Add `stats` and `diff` to the `curate catalog` sub-app."""
    from flows.cli import JsonOption, WorkspaceOption, fail, print_json, query_catalog

    @catalog_app.command("stats")
    def catalog_stats(
        reference: Annotated[str, typer.Argument(help=REFERENCE_HELP)],
        workspace: WorkspaceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Statistics of a version: totals, license/language/source mix, PII counts, waterfall.

        The waterfall follows the run that made the version through its stages: each stage's
        inputs, what it kept, modified, dropped or quarantined, and why.
        """
        from catalogs.stats import version_stats

        stats = query_catalog(workspace, version_stats, reference)
        if as_json:
            print_json(stats)
            return
        print_stats(stats)

    @catalog_app.command("diff")
    def catalog_diff(
        reference_a: Annotated[str, typer.Argument(metavar="NAME@A", help=REFERENCE_HELP)],
        reference_b: Annotated[str, typer.Argument(metavar="NAME@B", help=REFERENCE_HELP)],
        limit: Annotated[
            int,
            typer.Option(
                "--limit", min=0, help="Most documents listed per list (added/removed/changed)."
            ),
        ] = 1000,
        workspace: WorkspaceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Compare two versions of one dataset: documents added, removed (and why), changed."""
        from catalogs.diff import diff_versions
        from catalogs.exceptions import CatalogError
        from catalogs.query import parse_reference
        from catalogs.versions import get_version, qualified

        (name_a, version_a), (name_b, version_b) = map(parse_reference, (reference_a, reference_b))
        if qualified(name_a) != qualified(name_b):
            raise fail(
                CatalogError(
                    f"diff compares two versions of one dataset, got {qualified(name_a)} and "
                    f"{qualified(name_b)}: write NAME@A NAME@B with the same NAME"
                )
            )

        def diff(catalog: Any) -> dict[str, Any]:
            # a bare NAME means the newest version, as everywhere in `curate catalog`
            a = get_version(catalog, name_a, version_a).name
            b = get_version(catalog, name_b, version_b).name
            return diff_versions(catalog, name_a, a, b, limit=limit)

        result = query_catalog(workspace, diff)
        if as_json:
            print_json(result)
            return
        print_diff(result)


def print_stats(stats: dict[str, Any]) -> None:
    """Rich tables of one version's stats (the human view of `curate catalog stats`)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Console()
    origin = "stored at commit" if stats["computed_at_commit"] else "computed from the snapshot"
    out.print(
        f"[bold]{escape(stats['dataset'])}@{escape(stats['version'])}[/]  run "
        f"{escape(str(stats['run_id']))}  ({stats['created_at']}, {origin})"
    )
    totals = Table("total", "value")
    span = stats["time_span"]
    for key, value in (
        ("documents", stats["documents"]),
        ("characters", stats["characters"]),
        ("tokens (whitespace)", stats["tokens"]),
        ("text bytes (UTF-8)", stats["bytes"]),
        ("source bytes", stats["source_bytes"]),
        ("run inputs", stats["inputs"]),
        ("run kept", stats["kept"]),
        ("documents with PII found", stats["documents_with_pii"]),
        ("documents without quality score", stats["quality_unscored"]),
        (
            "modified at source",
            f"{span['first_modified'] or '-'} .. {span['last_modified'] or '-'}",
        ),
    ):
        totals.add_row(key, f"{value:,}" if isinstance(value, int) else _cell(value))
    out.print(totals)
    for title, key in (
        ("license", "by_license"),
        ("license category", "by_license_category"),
        ("language", "by_language"),
        ("source", "by_source"),
        ("PII entity", "pii_entities"),
    ):
        if stats[key]:
            table = Table(title, "documents" if key != "pii_entities" else "found")
            for value, count in stats[key].items():
                table.add_row(_cell(value), f"{count:,}")
            out.print(table)
    waterfall = Table("stage", "inputs", "kept", "modified", "dropped", "quarantined", "reasons")
    for stage in stats["waterfall"]:
        reasons = ", ".join(f"{r} ({n:,})" for r, n in stage["reasons"].items())
        waterfall.add_row(
            _cell(stage["stage"]),
            *(f"{stage[k]:,}" for k in ("inputs", "kept", "modified", "dropped", "quarantined")),
            _cell(reasons),
        )
    out.print(waterfall)


def print_diff(result: dict[str, Any]) -> None:
    """Rich tables of a diff (the human view of `curate catalog diff`)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Console()
    counts = result["counts"]
    out.print(
        f"[bold]{escape(result['dataset'])}[/] {escape(result['a'])} -> {escape(result['b'])}: "
        + "  ".join(f"{k} {counts[k]:,}" for k in ("added", "removed", "changed", "unchanged"))
    )
    if result["removed_by_why"]:
        why = Table("removed because", "documents")
        for reason, count in result["removed_by_why"].items():
            why.add_row(_cell(reason), f"{count:,}")
        out.print(why)
    for key, title in (
        ("by_source", "source"),
        ("by_license", "license"),
        ("by_language", "language"),
    ):
        # version names are validated tags (letters, digits, ._-): safe as headers
        table = Table(title, result["a"], result["b"], "delta")
        for value, row in result["deltas"][key].items():
            table.add_row(_cell(value), f"{row['a']:,}", f"{row['b']:,}", f"{row['delta']:+,}")
        out.print(table)
    for key, columns in (
        ("added", ("doc_id", "source_id", "spdx", "lang", "title")),
        ("removed", ("doc_id", "source_id", "why", "reason")),
        ("changed", ("doc_id", "source_id")),
    ):
        if result[key]:
            table = Table(*columns, title=key)
            for row in result[key]:
                table.add_row(*(_cell(row[c]) for c in columns))
            out.print(table)
    if result["truncated"]:
        out.print("lists truncated: raise --limit to see more")


def _cell(value: Any) -> Any:
    """A table cell that shows `value` as written: titles and ids are data, never markup."""
    from rich.text import Text

    return Text("-" if value is None else str(value))
