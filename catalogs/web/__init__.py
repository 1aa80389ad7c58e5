"""A read-only web catalog of the workspace: datasets, versions, documents, diffs and SQL.

Server-rendered pages (Jinja2, autoescaped) with inline SVG charts and one stylesheet, all
served by the app itself, so a browser on an air-gapped network shows everything. Every page
has a JSON twin under `/api`. `catalogs.web.app.create_app` builds the ASGI app;
`catalogs.web.server.serve` runs it; `curate catalog serve` is the command.
"""
