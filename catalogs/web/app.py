"""The web catalog's ASGI app: routes, templates and error pages over `CatalogPages`.

Every page is a GET route whose data comes from one `CatalogPages` method; the same data is the
JSON of its twin under `/api`. Templates are autoescaped (document text and every metadata value
are untrusted) and every link is built by `catalogs.web.links`. There is no route that changes
anything: Starlette answers other methods with 405.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from catalogs.exceptions import DatasetNotFound, VersionNotFound
from catalogs.provenance import DocumentNotInVersion
from catalogs.web import charts, links, render
from catalogs.web.exceptions import BadRequest, QueryRefused, UnsupportedWarehouse
from catalogs.web.pages import CatalogPages, parse_diff
from catalogs.web.samples import SampleFilter
from catalogs.web.security import LOOPBACK_NAMES, HostGate, SecurityHeaders, TokenGate
from catalogs.web.sql_console import EXAMPLE_QUERY, MAX_ROWS, TIMEOUT_S, to_csv, to_parquet
from curation.exceptions import CurationError

if TYPE_CHECKING:
    from catalogs.registry import CatalogSettings

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger(__name__)
Build = Callable[[Request], dict[str, Any]]


class CatalogJSON(JSONResponse):
    """JSON whose dates, decimals and other non-JSON values are written as strings."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")


def status_of(error: Exception) -> int:
    """The HTTP status of a domain error: unknown names are 404, malformed requests 400."""
    if isinstance(error, DatasetNotFound | VersionNotFound | DocumentNotInVersion):
        return 404
    if isinstance(error, BadRequest | QueryRefused):
        return 400
    if isinstance(error, UnsupportedWarehouse):
        return 501
    if isinstance(error, CurationError):
        return 400
    return 500


def download(table: Any, stem: str, wanted: str) -> Response:
    """A SQL result as a CSV or Parquet attachment, under a file name made of safe characters."""
    name = re.sub(r"[^A-Za-z0-9._@-]", "_", stem) + "." + wanted
    body, media = (
        (to_csv(table), "text/csv; charset=utf-8")
        if wanted == "csv"
        else (to_parquet(table), "application/vnd.apache.parquet")
    )
    return Response(
        body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


def create_app(
    catalog_settings: CatalogSettings,
    *,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> Starlette:
    """The read-only catalog app over `catalog_settings`.

    Without `token` it answers only requests addressed to a loopback name (plus
    `allowed_hosts`); with one, requests under any name that show the token.
    """
    pages = CatalogPages(catalog_settings)
    templates = render.templates()

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def error_response(request: Request, status: int, message: str) -> Response:
        if wants_json(request):
            return CatalogJSON({"error": message, "status": status}, status_code=status)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "message": message, "crumbs": [], "api": None},
            status_code=status,
        )

    def failure(request: Request, error: Exception) -> Response:
        status = status_of(error)
        if status == 500:
            log.exception("catalog page %s failed", request.url.path)
            return error_response(request, 500, "internal error: the server's log has the details")
        return error_response(request, status, str(error))

    def page(
        template: str,
        build: Build,
        chart_builder: Callable[[dict[str, Any]], dict[str, charts.Chart]] | None = None,
    ) -> tuple[Callable[[Request], Response], Callable[[Request], Response]]:
        """The HTML endpoint and its JSON twin for one page."""

        def html(request: Request) -> Response:
            try:
                data = build(request)
                context = {
                    "data": data,
                    "charts": chart_builder(data) if chart_builder else {},
                    "crumbs": crumbs(request),
                    "api": api_twin(request),
                    "sample": SampleFilter.from_params(request.query_params),
                }
                return templates.TemplateResponse(request, template, context)
            except Exception as error:  # noqa: BLE001 - every failure becomes an error page
                return failure(request, error)

        def api(request: Request) -> Response:
            try:
                return CatalogJSON(build(request))
            except Exception as error:  # noqa: BLE001 - every failure becomes a JSON error
                return failure(request, error)

        return html, api

    def api_twin(request: Request) -> str:
        """The JSON twin's address of an HTML page (same path and query under /api)."""
        path = "/api/datasets" if request.url.path == "/" else "/api" + request.url.path
        return path + (f"?{request.url.query}" if request.url.query else "")

    def crumbs(request: Request) -> list[tuple[str, str]]:
        """Breadcrumbs: dataset, then version, from the route's own parameters."""
        params = request.path_params
        trail: list[tuple[str, str]] = []
        if "dataset" in params:
            trail.append((params["dataset"], links.dataset_url(params["dataset"])))
        if "version" in params:
            trail.append(
                (params["version"], links.version_url(params["dataset"], params["version"]))
            )
        return trail

    home = page("home.html", lambda r: pages.home())
    dataset = page(
        "dataset.html", lambda r: pages.dataset(r.path_params["dataset"]), render.dataset_charts
    )
    version = page(
        "version.html",
        lambda r: pages.version(
            r.path_params["dataset"],
            r.path_params["version"],
            SampleFilter.from_params(r.query_params),
        ),
        render.version_charts,
    )
    document = page(
        "document.html",
        lambda r: pages.document(
            r.path_params["dataset"], r.path_params["version"], r.path_params["doc_id"]
        ),
    )
    diff = page(
        "diff.html",
        lambda r: pages.diff(r.path_params["dataset"], *parse_diff(r.path_params["spec"])),
        render.diff_charts,
    )

    def diff_form(request: Request) -> Response:
        """The dataset page's compare form: redirect to the diff's own address."""
        a = request.query_params.get("a", "")
        b = request.query_params.get("b", "")
        if not a or not b:
            return error_response(request, 400, "choose two versions to compare")
        return RedirectResponse(links.diff_url(request.path_params["dataset"], a, b), 303)

    def sql(request: Request) -> Response:
        dataset_name = request.path_params["dataset"]
        version_name = request.path_params["version"]
        query = request.query_params.get("q", "")
        wanted = request.query_params.get("format", "")
        try:
            number_ = max(1, int(request.query_params.get("page") or 1))
        except ValueError:
            number_ = 1
        if wanted not in ("", "csv", "parquet"):
            return error_response(request, 400, "format is csv or parquet")
        try:
            data, result = pages.sql(dataset_name, version_name, query, number_)
            status = 200
        except QueryRefused as error:
            data = {
                "dataset": dataset_name,
                "version": version_name,
                "query": query,
                "error": str(error),
            }
            result, status = None, 400
        except Exception as error:  # noqa: BLE001 - every failure becomes an error page
            return failure(request, error)
        if wanted and result is not None:
            return download(result.table, f"{data['dataset']}@{data['version']}-query", wanted)
        if wants_json(request):
            return CatalogJSON(data, status_code=status)
        context = {
            "data": data,
            "charts": {},
            "crumbs": crumbs(request),
            "api": api_twin(request),
            "example": EXAMPLE_QUERY,
            "max_rows": MAX_ROWS,
            "timeout_s": TIMEOUT_S,
        }
        return templates.TemplateResponse(request, "sql.html", context, status_code=status)

    def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        message = {404: "no page at this address", 405: "this catalog is read-only"}.get(
            error.status_code, str(error.detail)
        )
        response = error_response(request, error.status_code, message)
        response.headers.update(error.headers or {})
        return response

    routes: list[Route | Mount] = []
    for prefix, index in (("", 0), ("/api", 1)):
        routes += [
            Route(f"{prefix}/" if not prefix else f"{prefix}/datasets", home[index]),
            Route(f"{prefix}/datasets/{{dataset}}", dataset[index]),
            Route(f"{prefix}/datasets/{{dataset}}/diff/{{spec}}", diff[index]),
            Route(f"{prefix}/datasets/{{dataset}}/versions/{{version}}", version[index]),
            Route(f"{prefix}/datasets/{{dataset}}/versions/{{version}}/sql", sql),
            Route(
                f"{prefix}/datasets/{{dataset}}/versions/{{version}}/documents/{{doc_id:path}}",
                document[index],
            ),
        ]
    routes.append(Route("/datasets/{dataset}/diff", diff_form))
    routes.append(Route("/datasets", lambda r: RedirectResponse("/", 307)))
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))

    if token:
        hosts = None if allowed_hosts is None else set(allowed_hosts)
    else:
        hosts = {*LOOPBACK_NAMES, *(allowed_hosts or ())}
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(HostGate, allowed=hosts),
            Middleware(TokenGate, token=token),
        ],
        exception_handlers={HTTPException: http_error},
    )
