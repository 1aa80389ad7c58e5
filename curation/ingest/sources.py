"""Source declarations: one entry of the dataset spec's `sources` list, validated up front."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from curation.config import build_config
from curation.exceptions import SpecError

SOURCE_ID = re.compile(r"[a-z0-9_-]+")
# S3 bucket naming rules (lower case, digits, dots and hyphens; 3-63 characters).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_OBJECT_STORE_KEYS = ("bucket", "prefix", "endpoint_url", "region", "profile")
# S3-compatible stores on premises accept any region; AWS's SDKs sign with this one by default.
DEFAULT_REGION = "us-east-1"
HF_SUFFIXES = (".arrow", ".parquet")


@dataclass(frozen=True)
class SourceConfig:
    """One document source.

    `path` is absolute once `load_sources` has resolved it against the spec's folder. Globs in
    `include` / `exclude` match the path relative to the source root (POSIX separators); a
    pattern without `/` matches the file name at any depth (gitignore style), `**` spans
    folders. `license` is the declared SPDX expression, validated by the licensing package.

    Type `s3` reads the objects of `bucket` below `prefix` (a folder of the bucket) from the
    S3-compatible store at `endpoint_url`; globs match the key relative to the prefix.
    Credentials never appear here: they come from the environment (`AWS_ACCESS_KEY_ID`,
    `AWS_SECRET_ACCESS_KEY`) or the shared credentials file's section `profile`. Type
    `hf_dataset` reads a `datasets` `save_to_disk` folder or a folder of Parquet/Arrow shards
    as rows, like `parquet` (`text_field`, `id_field`).
    """

    id: str
    path: str = ""
    type: Literal["folder", "parquet", "jsonl", "s3", "hf_dataset"] = "folder"
    include: tuple[str, ...] = ("**/*",)
    exclude: tuple[str, ...] = ()
    license: str = "NOASSERTION"
    license_manifest: dict[str, str] | None = None
    text_field: str = "text"
    id_field: str | None = None
    max_file_bytes: int = 50_000_000
    extract_timeout_s: float = 60.0
    # scans and images: `auto` OCRs pages without a text layer, `off` quarantines them
    # (`ingest.needs_ocr`), `force` OCRs every page
    ocr: Literal["auto", "off", "force"] = "auto"
    ocr_max_pages: int = 8
    ocr_min_confidence: float = 0.8
    bucket: str | None = None
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None

    def __post_init__(self) -> None:
        if not SOURCE_ID.fullmatch(self.id):
            raise SpecError("id", f"{self.id!r} must match [a-z0-9_-]+, e.g. `hr-policies`")
        if self.max_file_bytes <= 0:
            raise SpecError("max_file_bytes", "must be a positive number of bytes")
        if self.extract_timeout_s <= 0:
            raise SpecError("extract_timeout_s", "must be a positive number of seconds")
        if self.ocr not in ("auto", "off", "force"):
            raise SpecError("ocr", f"must be one of auto, off, force; got {self.ocr!r}")
        if self.ocr_max_pages <= 0:
            raise SpecError("ocr_max_pages", "must be a positive number of pages")
        if not 0.0 <= self.ocr_min_confidence <= 1.0:
            raise SpecError("ocr_min_confidence", "must be between 0 and 1, e.g. 0.8")

    @property
    def root(self) -> Path:
        return Path(self.path)


def load_sources(items: list[Any], base_dir: Path) -> tuple[SourceConfig, ...]:
    """Validate the spec's `sources` list; relative paths are resolved against `base_dir`.

    Errors name the key (`sources[2].path`) and say what to fix.

    Examples
    --------
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> (base / "docs").mkdir()
    >>> [s.id for s in load_sources([{"id": "hr", "path": "docs"}], base)]
    ['hr']
    """
    if not isinstance(items, list) or not items:
        raise SpecError("sources", "required: a list with at least one source (id, type, path)")
    seen: dict[str, int] = {}
    sources = []
    for index, item in enumerate(items):
        where = f"sources[{index}]"
        try:
            source = build_config(SourceConfig, item, where)
        except SpecError as error:
            if error.key in {
                "id",
                "max_file_bytes",
                "extract_timeout_s",
                "ocr",
                "ocr_max_pages",
                "ocr_min_confidence",
            }:
                raise SpecError(f"{where}.{error.key}", str(error).split(": ", 1)[1]) from error
            raise
        if source.id in seen:
            raise SpecError(
                f"{where}.id",
                f"duplicate source id {source.id!r} (also sources[{seen[source.id]}]): "
                "give every source its own id",
            )
        seen[source.id] = index
        if source.type == "s3":
            sources.append(_object_store(source, where))
            continue
        _refuse_object_store_keys(source, where)
        if not source.path:
            raise SpecError(
                f"{where}.path",
                f"required for a {source.type} source: the folder or file to read "
                "(relative paths are resolved against the spec file's folder)",
            )
        path = Path(source.path).expanduser()
        if not path.is_absolute():
            path = Path(base_dir) / path
        path = path.resolve()
        if not path.exists():
            raise SpecError(
                f"{where}.path",
                f"source {source.id!r} path {path} does not exist: fix {where}.path in the spec "
                "(relative paths are resolved against the spec file's folder)",
            )
        if source.type == "folder" and not path.is_dir():
            raise SpecError(
                f"{where}.path",
                f"source {source.id!r} is type folder but {path} is not a folder: point "
                f"{where}.path at a folder or set {where}.type to parquet or jsonl",
            )
        if source.type == "hf_dataset" and not (path.is_dir() or path.suffix in HF_SUFFIXES):
            raise SpecError(
                f"{where}.path",
                f"source {source.id!r} is type hf_dataset but {path} is neither a folder nor a "
                f"{' / '.join(HF_SUFFIXES)} file: point {where}.path at the folder that "
                "`save_to_disk` wrote, or at a folder of Parquet/Arrow shards",
            )
        sources.append(_replace(source, path=str(path)))
    return tuple(sources)


def _replace(source: SourceConfig, **changes: Any) -> SourceConfig:
    import dataclasses

    return dataclasses.replace(source, **changes)


def _refuse_object_store_keys(source: SourceConfig, where: str) -> None:
    for key in _OBJECT_STORE_KEYS:
        if getattr(source, key) not in (None, ""):
            raise SpecError(
                f"{where}.{key}",
                f"only applies to sources of type s3 (this one is {source.type}): "
                f"remove {where}.{key} or set {where}.type to s3",
            )


def _object_store(source: SourceConfig, where: str) -> SourceConfig:
    """An s3 source with its bucket, prefix folder, endpoint and region settled.

    `path: s3://bucket/prefix` is accepted as a shorthand for `bucket` + `prefix`. The endpoint
    and region fall back to the environment (`CURATE_S3_ENDPOINT` / `AWS_ENDPOINT_URL`,
    `AWS_REGION` / `AWS_DEFAULT_REGION`); the region is always set, so no client ever asks a
    cloud service which region a bucket is in.
    """
    import os

    bucket, prefix = source.bucket, source.prefix
    if source.path:
        if not source.path.startswith("s3://") or bucket:
            raise SpecError(
                f"{where}.path",
                "an s3 source names its objects with bucket and prefix (or path: "
                "s3://bucket/prefix, without bucket): remove one of them",
            )
        bucket, _, prefix = source.path.removeprefix("s3://").partition("/")
    if not bucket or not _BUCKET.fullmatch(bucket):
        raise SpecError(
            f"{where}.bucket",
            f"an s3 source needs a bucket name (3-63 characters: a-z, 0-9, '.', '-'), got "
            f"{bucket!r}: set {where}.bucket",
        )
    prefix = prefix.strip("/")
    endpoint = (
        source.endpoint_url
        or os.environ.get("CURATE_S3_ENDPOINT")
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    if not endpoint:
        raise SpecError(
            f"{where}.endpoint_url",
            "an s3 source needs the store's URL: set it (e.g. https://minio.internal:9000) "
            "or set CURATE_S3_ENDPOINT",
        )
    endpoint = check_endpoint_url(endpoint, f"{where}.endpoint_url")
    region = (
        source.region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION
    )
    return _replace(
        source,
        path="",
        bucket=bucket,
        prefix=f"{prefix}/" if prefix else "",
        endpoint_url=endpoint,
        region=region,
    )


def check_endpoint_url(url: str, key: str) -> str:
    """`url` if it is a plain http(s)://host[:port] address; credentials in it are refused.

    Examples
    --------
    >>> check_endpoint_url("http://127.0.0.1:8333/", "output.warehouse")
    'http://127.0.0.1:8333'
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises on a malformed port
    except ValueError as error:
        raise SpecError(key, f"{error}: expected http(s)://host[:port]") from error
    if "@" in parts.netloc:
        raise SpecError(
            key,
            "the endpoint URL must not hold credentials: remove user:password@ and set "
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or a profile) instead",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpecError(key, f"expected http(s)://host[:port], got {url!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise SpecError(key, f"expected http(s)://host[:port] without a path, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"
