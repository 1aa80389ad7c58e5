"""`curate catalog serve`: the read-only web catalog of the workspace.

A thin layer over `catalogs.web.server.serve`. The command is defined inside `register` because
it reuses `flows.cli`'s workspace option and error handling, and `flows.cli` imports this module
while it is itself being imported: by the time `register` runs, those names exist. (No
`from __future__ import annotations` here: typer reads the nested function's annotations, which
must be objects, not names of `register`'s locals.)
"""

import typer

TOKEN_ENV = "CURATE_CATALOG_TOKEN"


def register(catalog_app: typer.Typer) -> None:
    """Add `curate catalog serve` to the catalog sub-app."""
    from typing import Annotated

    from flows.cli import WorkspaceOption, fail, open_workspace, stderr

    @catalog_app.command("serve")
    def catalog_serve(
        host: Annotated[
            str,
            typer.Option(
                "--host",
                help="Address to listen on. Anything but loopback needs --token.",
            ),
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
        token: Annotated[
            str | None,
            typer.Option(
                "--token",
                envvar=TOKEN_ENV,
                help="Access token every request must show (Bearer header, or the cookie set "
                f"by the printed sign-in address). Also read from ${TOKEN_ENV}, which keeps it "
                "out of the process list.",
                show_default=False,
            ),
        ] = None,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Serve a read-only web catalog: datasets, versions, stats, documents, diffs, SQL."""
        from catalogs.registry import CatalogSettings
        from catalogs.web.server import check_binding, serve
        from curation.exceptions import CurationError

        try:
            # Refused before the workspace is touched: a bad binding changes nothing.
            check_binding(host, token)
            ws = open_workspace(workspace)
            settings = CatalogSettings.for_workspace(ws)
            serve(
                settings,
                host=host,
                port=port,
                token=token,
                announce=lambda url: stderr.print(
                    f"serving the catalog of {ws.root} (read-only) at {url}\nCtrl-C stops it.",
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                ),
            )
        except CurationError as error:
            raise fail(error) from error
