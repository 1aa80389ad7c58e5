"""`curate catalog record-model`: record that a model was trained on a version.

The record goes into the dataset's hash-chained audit trail (`catalogs.audit.models`), where an
erasure receipt finds the models trained on the versions it changed, and an audit bundle lists
the models trained on its version.

Defined inside `register` (this module is imported while `flows.cli` is still being imported),
and without `from __future__ import annotations`, since typer reads the annotations.
"""

from typing import Annotated

import typer


def register(catalog_app: typer.Typer) -> None:
    """Add `record-model` to the `curate catalog` sub-app."""
    from flows.cli import JsonOption, WorkspaceOption, open_workspace, print_json, query_catalog

    @catalog_app.command("record-model")
    def catalog_record_model(
        reference: Annotated[
            str, typer.Argument(metavar="NAME@VERSION", help="The version (NAME alone: newest).")
        ],
        model: Annotated[
            str, typer.Option("--model", help="The model's id, e.g. acme-assistant-1.2.")
        ],
        note: Annotated[
            str | None,
            typer.Option(
                "--note", help="Free text kept in the workspace's trail (not in bundles)."
            ),
        ] = None,
        workspace: WorkspaceOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Record that a model was trained on a version.

        Audit bundles list the models trained on their version, erasure receipts the models
        trained on the versions they changed.
        """
        from catalogs.audit.models import record_model

        ws = open_workspace(workspace)
        entry = query_catalog(
            workspace, lambda catalog: record_model(catalog, ws, reference, model=model, note=note)
        )
        if as_json:
            print_json(entry)
            return
        from rich.console import Console
        from rich.markup import escape

        Console().print(
            f"recorded: model {escape(entry['model'])} was trained on "
            f"{escape(entry['dataset'])}@{escape(entry['version'])} "
            f"(snapshot {entry['snapshot_id']})"
        )
