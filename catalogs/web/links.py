"""Addresses of the catalog's pages, built only here and always percent-quoted.

Dataset, version and document names come from the catalog and the documents, so they are
untrusted: every one of them becomes a quoted path segment or query value of a relative URL that
starts with `/`. No value from a document is ever used as a link target by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode


def segment(value: str) -> str:
    """One path segment, with `/`, `?`, `#` and everything outside unreserved characters quoted.

    Examples
    --------
    >>> segment("javascript:alert(1)")
    'javascript%3Aalert%281%29'
    >>> segment("a/b?c#d")
    'a%2Fb%3Fc%23d'
    """
    return quote(str(value), safe="")


def with_query(path: str, params: Mapping[str, str] | None = None) -> str:
    """`path` with `params` as a query string (empty values left out)."""
    kept = {k: v for k, v in (params or {}).items() if v not in ("", None)}
    return f"{path}?{urlencode(kept)}" if kept else path


def home_url() -> str:
    return "/"


def dataset_url(dataset: str, *, api: bool = False) -> str:
    """Examples
    --------
    >>> dataset_url("curated.demo")
    '/datasets/curated.demo'
    """
    return f"{'/api' if api else ''}/datasets/{segment(dataset)}"


def version_url(
    dataset: str, version: str, params: Mapping[str, str] | None = None, *, api: bool = False
) -> str:
    """Examples
    --------
    >>> version_url("curated.demo", "v2", {"q": "a&b", "page": "2"})
    '/datasets/curated.demo/versions/v2?q=a%26b&page=2'
    """
    return with_query(f"{dataset_url(dataset, api=api)}/versions/{segment(version)}", params)


def document_url(dataset: str, version: str, doc_id: str, *, api: bool = False) -> str:
    """Examples
    --------
    >>> document_url("curated.demo", "v1", "<script>")
    '/datasets/curated.demo/versions/v1/documents/%3Cscript%3E'
    """
    return f"{version_url(dataset, version, api=api)}/documents/{segment(doc_id)}"


def diff_url(dataset: str, a: str, b: str, *, api: bool = False) -> str:
    """Examples
    --------
    >>> diff_url("curated.demo", "v1", "v2")
    '/datasets/curated.demo/diff/v1...v2'
    """
    return f"{dataset_url(dataset, api=api)}/diff/{segment(a)}...{segment(b)}"


def sql_url(
    dataset: str, version: str, params: Mapping[str, str] | None = None, *, api: bool = False
) -> str:
    return with_query(f"{version_url(dataset, version, api=api)}/sql", params)
