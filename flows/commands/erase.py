"""`curate erase`: erase a person's document from every retained version, with a receipt.

A thin layer over `catalogs.erasure.erase`: it opens the workspace catalog, calls the library,
and prints the receipt (`--json`: the receipt as one JSON object). Domain errors (no document
matched, a run in progress, an option to fix) become one line on stderr and exit code 2; a
receipt whose verification failed exits 1, so a script cannot mistake it for proof. A dataset
whose warehouse is on an object store is erased with `CURATE_WAREHOUSE` (and
`CURATE_S3_ENDPOINT`) set as for every catalog command: its files are then listed, deleted and
read back through the warehouse's filesystem.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from flows.options import JsonOption, WorkspaceOption, fail, open_workspace, print_json, stderr

VERIFICATION_FAILED = 1


def erase_command(
    dataset: Annotated[
        str, typer.Option("--dataset", help="Dataset to erase from, e.g. curated.acme_demo.")
    ],
    request_id: Annotated[
        str,
        typer.Option(
            "--request-id",
            help="Id of the erasure request (your ticket number; never the person's name).",
        ),
    ],
    doc_id: Annotated[
        str | None, typer.Option("--doc-id", help="Erase the document with this doc id.")
    ] = None,
    source_uri: Annotated[
        str | None,
        typer.Option(
            "--source-uri",
            help="Erase the document read from this URI (and rows or members read out of it).",
        ),
    ] = None,
    sha256: Annotated[
        str | None,
        typer.Option("--sha256", help="Erase documents whose original bytes have this sha256."),
    ] = None,
    text_match: Annotated[
        str | None,
        typer.Option(
            "--text-match", help="Erase documents whose text contains this text (8+ characters)."
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help="Why, for the audit trail (e.g. 'GDPR Art. 17'; never the identifier)."
        ),
    ] = None,
    max_documents: Annotated[
        int,
        typer.Option(
            "--max-documents",
            min=1,
            help="Refuse (change nothing) when the subject matches more documents than this.",
        ),
    ] = 100,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a document from every retained version of a dataset, verify, and record a receipt.

    Rewrites every snapshot holding it (tags move: v3 -> v3-e1), deletes the old files, keeps
    later runs from ingesting it again, and appends the receipt to the dataset's audit trail.
    """
    from catalogs.erasure import erase
    from catalogs.registry import CatalogSettings, open_catalog
    from curation.exceptions import CurationError

    ws = open_workspace(workspace)
    try:
        receipt = erase(
            open_catalog(CatalogSettings.for_workspace(ws)),
            ws,
            dataset,
            doc_id=doc_id,
            source_uri=source_uri,
            sha256=sha256,
            text_match=text_match,
            request_id=request_id,
            reason=reason,
            max_documents=max_documents,
        )
    except CurationError as error:
        raise fail(error) from error
    except OSError as error:  # the table's files cannot be reached with these settings
        detail = (str(error).splitlines() or [type(error).__name__])[0][:200]
        raise fail(
            CurationError(
                f"cannot read the files of {dataset} ({detail}): when its warehouse is on an "
                "object store (output.warehouse: s3://...), set CURATE_WAREHOUSE to that "
                "warehouse and CURATE_S3_ENDPOINT to the store's URL, then repeat the erase"
            )
        ) from error
    if as_json:
        print_json(receipt)
    else:
        print_receipt(receipt)
    if not receipt["verified"]:
        raise typer.Exit(VERIFICATION_FAILED)


def print_receipt(receipt: dict[str, Any]) -> None:
    """The human view of a receipt: what moved, what was deleted, whether it is proven."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Console()
    out.print(
        f"[bold]{escape(receipt['dataset'])}[/]: request {escape(receipt['request_id'])} erased "
        f"{receipt['documents']} document(s) at {receipt['at']}"
    )
    if receipt["versions_affected"]:
        table = Table("version", "erased version", "rows removed")
        for item in receipt["versions_affected"]:
            old = item["old"] or ", ".join(item.get("branches", [])) or "-"
            table.add_row(escape(old), escape(item["new"] or "-"), str(item["rows_removed"]))
        out.print(table)
    deleted = receipt["files_deleted"]
    out.print(
        f"files deleted: {len(deleted)} ({sum(int(f['bytes']) for f in deleted):,} bytes); "
        f"ledger rows pseudonymized: {receipt['ledger']['rows_pseudonymized']}; "
        f"tombstones added: {receipt['tombstones']['added']}"
    )
    if receipt["models"]:
        models = ", ".join(escape(str(m.get("model"))) for m in receipt["models"])
        out.print(f"models trained on affected versions: {models}")
    verification = receipt["verification"]
    if receipt["verified"]:
        out.print(
            f"[green]verified[/]: {verification['files_checked']} files read, "
            "no trace of the document remains"
        )
        return
    stderr.print(
        f"[bold red]not verified[/]: {len(verification['findings'])} finding(s), "
        f"{len(verification['unreadable'])} unreadable file(s); see the receipt (--json)"
    )
    for finding in verification["findings"][:20]:
        stderr.print(
            f"  {escape(finding['kind'])} in {escape(finding['path'])} ({escape(finding['where'])})",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add `curate erase` to the top-level app."""
    app.command("erase")(erase_command)
