"""`curate audit`: audit bundles, document lookups and the audit trail's integrity.

    curate audit NAME@VERSION --out DIR        (short for `curate audit bundle NAME@VERSION ...`)
    curate audit lookup NAME --doc-id ID | --source-uri URI | --sha256 H
    curate audit verify NAME

Each command calls one library function of `catalogs.audit`; domain errors become one line on
stderr and exit code 2 (`flows.cli.query_catalog`). A broken audit trail makes `verify` exit 1.

The commands are defined inside `register`, after `flows.cli` has defined the shared options:
this module is imported while `flows.cli` is still being imported. For the same reason it does
not use `from __future__ import annotations`: typer reads the parameter annotations.
"""

from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

BUNDLE = "bundle"


class BundleByDefault(TyperGroup):
    """A group whose first argument, when it names no subcommand, is a `bundle` reference:
    `curate audit NAME@VERSION --out DIR` runs `curate audit bundle NAME@VERSION --out DIR`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [BUNDLE, *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    """Add the `curate audit` group to the CLI."""
    from flows.cli import (
        JsonOption,
        WorkspaceOption,
        fail,
        open_workspace,
        print_json,
        query_catalog,
    )

    audit_app = typer.Typer(
        cls=BundleByDefault,
        no_args_is_help=True,
        help="Audit bundles for regulators, document lookups, and the audit trail. "
        "`curate audit NAME@VERSION --out DIR` is short for `curate audit bundle ...`.",
    )
    app.add_typer(audit_app, name="audit")

    @audit_app.command(BUNDLE)
    def audit_bundle(
        reference: Annotated[
            str, typer.Argument(metavar="NAME@VERSION", help="The version (NAME alone: newest).")
        ],
        out: Annotated[Path, typer.Option("--out", help="Folder to write (must be empty).")],
        overwrite: Annotated[
            bool, typer.Option(help="Replace an earlier bundle in a non-empty folder.")
        ] = False,
        spec: Annotated[
            Path | None,
            typer.Option(
                "--spec",
                help="The spec the version was made with: adds source kinds, declared licenses "
                "and the policies (checked against the version's spec fingerprint).",
            ),
        ] = None,
        provider: Annotated[
            str | None,
            typer.Option(
                "--provider", help="The organization's name, for SPDX and the EU summary."
            ),
        ] = None,
        workspace: WorkspaceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Write the audit bundle of a version for a regulator or data protection officer.

        summary.html and summary.json (the report), documents.parquet and documents.csv (one
        row per input document with every stage's decision), croissant.json, dataset.spdx3.json,
        eu-training-content-summary.md and SHA256SUMS. No text and no personal data values.
        """
        from catalogs.audit.bundle import write_bundle

        ws = open_workspace(workspace)
        result = query_catalog(
            workspace,
            lambda catalog: write_bundle(
                catalog,
                reference,
                out,
                workspace=ws,
                overwrite=overwrite,
                spec=spec,
                provider=provider,
            ),
        )
        if as_json:
            print_json(result)
            return
        from rich.console import Console
        from rich.markup import escape

        Console().print(
            f"wrote the audit bundle of {escape(result['dataset'])}@{escape(result['version'])} "
            f"({result['documents']:,} input documents) to {escape(str(out))}: open "
            f"{escape(str(out / 'summary.html'))}"
        )
        if not result["audit_trail_ok"]:
            Console(stderr=True).print(
                "[bold red]warning:[/] the audit trail's hash chain is broken: "
                "`curate audit verify` says where"
            )

    @audit_app.command("lookup")
    def audit_lookup(
        dataset: Annotated[str, typer.Argument(metavar="NAME", help="The dataset.")],
        doc_id: Annotated[str | None, typer.Option("--doc-id", help="The document id.")] = None,
        source_uri: Annotated[
            str | None, typer.Option("--source-uri", help="Where the document lives at its source.")
        ] = None,
        sha256: Annotated[
            str | None, typer.Option("--sha256", help="sha256 of the document's original bytes.")
        ] = None,
        workspace: WorkspaceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Find one document: the versions that held it, each run's decisions, erasure, models.

        Name it by exactly one of --doc-id, --source-uri or --sha256 (of the original bytes).
        """
        from catalogs.audit.lookup import lookup_document

        given = [v for v in (doc_id, source_uri, sha256) if v]
        if len(given) != 1:
            raise fail(
                click.UsageError(
                    "name the document by exactly one of --doc-id, --source-uri or --sha256"
                )
            )
        ws = open_workspace(workspace)
        result = query_catalog(
            workspace,
            lambda catalog: lookup_document(
                catalog, ws, dataset, doc_id=doc_id, source_uri=source_uri, sha256=sha256
            ),
        )
        if as_json:
            print_json(result)
            return
        print_lookup(result)

    @audit_app.command("verify")
    def audit_verify(
        dataset: Annotated[str, typer.Argument(metavar="NAME", help="The dataset.")],
        workspace: WorkspaceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Check the hash chain of a dataset's audit trail (erasure receipts, model records).

        Exit code 1 when a line was edited, removed or cut short.
        """
        from catalogs.audit.trail import verify_chain
        from curation.exceptions import CurationError

        try:
            report = verify_chain(open_workspace(workspace), dataset)
        except CurationError as error:
            raise fail(error) from error
        if as_json:
            print_json(report.as_dict())
        else:
            from rich.console import Console
            from rich.markup import escape

            out = Console()
            state = "[green]intact[/]" if report.ok else "[bold red]broken[/]"
            out.print(
                f"{escape(report.dataset)}: {report.entries} entries, chain {state}, head "
                f"{report.head_sha256 or '-'}"
            )
            for problem in report.problems:
                out.print(f"  {escape(problem)}")
        if not report.ok:
            raise typer.Exit(1)


def print_lookup(result: dict[str, Any]) -> None:
    """Rich tables of a lookup (the human view of `curate audit lookup`)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = Console()
    query = result["query"]
    out.print(Text(f"{result['dataset']}: {query['by']} {query['value']}", style="bold"))
    if not result["found"] and not result["erased"]:
        out.print("not found in any version or run of this dataset")
    if result["documents"]:
        docs = Table("doc_id", "source", "source URI", "sha256 of the original", title="document")
        for d in result["documents"]:
            docs.add_row(
                Text(d["doc_id"]),
                Text(str(d["source_id"])),
                Text(str(d["source_uri"])),
                Text(", ".join(d["content_sha256"]) or "-"),
            )
        out.print(docs)
    versions = Table("version", "snapshot", "committed", "doc ids", title="in versions")
    for v in result["versions"]:
        versions.add_row(
            Text(v["version"]),
            str(v["snapshot_id"]),
            v["committed_at"],
            Text(", ".join(v["doc_ids"])),
        )
    out.print(versions)
    if result["absent_from"]:
        out.print(Text("not in: " + ", ".join(result["absent_from"])))
    for run in result["runs"]:
        table = Table(
            "doc_id",
            "stage",
            "decision",
            "reason",
            title=f"run {run['run_id']} "
            f"({'version ' + run['version'] if run['version'] else 'no version'})",
        )
        for doc in run["documents"]:
            for d in doc["decisions"]:
                table.add_row(
                    Text(doc["doc_id"]), d["stage"], d["decision"], Text(d["reason"] or "")
                )
        out.print(table)
    if result["erased"]:
        for e in result["erasures"]:
            out.print(
                Text(
                    f"erased by request {e['request_id']} at {e['at']} "
                    f"({'verified' if e['verified'] else 'not verified'})"
                )
            )
    else:
        out.print("no erasure of this document is recorded")
    for m in result["models"]:
        out.print(Text(f"model {m['model']} was trained on {m['version']} (recorded {m['at']})"))
    if not result["audit_trail_ok"]:
        out.print("[bold red]warning:[/] the audit trail's hash chain is broken")
