"""S3-compatible object stores (MinIO, Ceph, SeaweedFS on premises): list, skip, read, extract.

Objects are listed through the S3 API itself (ListObjectsV2, signed with SigV4 here) and read
through `pyarrow.fs.S3FileSystem`. Arrow's listing drops each object's ETag, and an
incremental run must see every ETag without reading or even HEAD-ing the object: one listing
request covers 1,000 objects. Every object is then extracted like a file of a folder source
(same extractors, worker processes, timeout and size limit): its bytes go to a private
temporary file under a generated name, never under the key (keys are data, not paths).

Credentials come from the environment or a shared credentials file, are passed to each client
explicitly (so no SDK ever asks a cloud metadata service) and never reach the spec, the
ledger, logs or error messages. Provenance is `s3://bucket/key`; the object's ETag (and
version id, where the bucket is versioned) go into `metadata_json`.
"""

from __future__ import annotations

import configparser
import errno
import hashlib
import hmac
import http.client
import os
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_plus, urlsplit

from curation.exceptions import CurationError
from curation.ingest.globs import PathFilter
from curation.ingest.reasons import IngestReason
from curation.ingest.sources import DEFAULT_REGION, SourceConfig

if TYPE_CHECKING:
    import pyarrow.fs as pafs

    from curation.ingest.extract.base import ExtractLimits
    from curation.ingest.extract.containers import Member
    from curation.ingest.known import SourceKnown
    from curation.ingest.members import ContainerStat
    from curation.ingest.pool import Outcome
    from curation.ingest.records import IngestBatch

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_TIMEOUT_S = 60.0
# Objects fetched ahead of the extraction workers: bounds the temporary disk in use.
_FETCH_AHEAD = 4
# Errors for one object (gone since the listing, or not readable with these credentials):
# that object is quarantined; any other error (the store is unreachable) fails the run.
_OBJECT_ERRORS = ("AWS Error NO_SUCH_KEY", "AWS Error ACCESS_DENIED")


class ObjectStoreError(CurationError):
    """The object store cannot be used as configured; the message says what to fix."""


@dataclass(frozen=True)
class Credentials:
    """An access key pair; `repr` never shows the secret (tracebacks and logs print reprs)."""

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def resolve_credentials(profile: str | None, *, what: str) -> Credentials:
    """The credentials for `what` (a source, the warehouse): a named profile, else the
    environment (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`), else the
    profile `AWS_PROFILE` or `default` of the shared credentials file.

    The file is `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    """
    path = Path(
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials"
    ).expanduser()
    if profile is None:
        access, secret = (
            os.environ.get("AWS_ACCESS_KEY_ID"),
            os.environ.get("AWS_SECRET_ACCESS_KEY"),
        )
        if access and secret:
            return Credentials(access, secret, os.environ.get("AWS_SESSION_TOKEN") or None)
        fallback = os.environ.get("AWS_PROFILE") or "default"
        found = _profile_credentials(path, fallback)
        if found is not None:
            return found
        raise ObjectStoreError(
            f"no credentials for {what}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
            f"name a profile of {path} (`profile:` in the spec)"
        )
    found = _profile_credentials(path, profile)
    if found is None:
        raise ObjectStoreError(
            f"no credentials for {what}: profile {profile!r} with aws_access_key_id and "
            f"aws_secret_access_key is not in {path}: add it, or set AWS_SHARED_CREDENTIALS_FILE"
        )
    return found


def _profile_credentials(path: Path, profile: str) -> Credentials | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    if not parser.has_section(profile):
        return None
    section = parser[profile]
    access, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
    if not access or not secret:
        return None
    return Credentials(access.strip(), secret.strip(), section.get("aws_session_token") or None)


@dataclass(frozen=True)
class StoreObject:
    """One object as the listing shows it: key, size, ETag (quotes removed), last modified."""

    key: str
    size: int
    etag: str | None
    modified_us: int | None


@dataclass(frozen=True)
class S3Api:
    """A minimal S3 client for what Arrow does not expose: a listing with ETags.

    Path-style requests (`/bucket/key`), signed with AWS Signature Version 4; TLS verified
    against the system's CAs or `AWS_CA_BUNDLE`.
    """

    endpoint: str
    region: str
    credentials: Credentials

    def list_objects(
        self, bucket: str, prefix: str, *, page_size: int = 1000
    ) -> Iterator[StoreObject]:
        """Every object below `prefix`, in key order, `page_size` per request (S3's most)."""
        from defusedxml import ElementTree

        token: str | None = None
        while True:
            query = {
                "list-type": "2",
                "prefix": prefix,
                "encoding-type": "url",
                "max-keys": str(page_size),
            }
            if token:
                query["continuation-token"] = token
            body = self._call("GET", bucket, "", query, what=f"list bucket {bucket!r}")
            root = ElementTree.fromstring(body)
            encoded = _text(root, "EncodingType") == "url"
            for item in _children(root, "Contents"):
                key = _text(item, "Key") or ""
                yield StoreObject(
                    key=unquote_plus(key) if encoded else key,
                    size=int(_text(item, "Size") or 0),
                    etag=normalize_etag(_text(item, "ETag")),
                    modified_us=_micros(_text(item, "LastModified")),
                )
            token = _text(root, "NextContinuationToken")
            if _text(root, "IsTruncated") != "true" or not token:
                return

    def _call(
        self, method: str, bucket: str, key: str, query: dict[str, str], *, what: str
    ) -> bytes:
        status, _, body = self.request(method, bucket, key, query)
        if status == 200:
            return body
        code = _error_code(body) or str(status)
        if code == "NoSuchBucket":
            hint = f"bucket {bucket!r} does not exist at {self.endpoint}: fix the bucket name"
        elif status in (401, 403):
            hint = (
                f"the store at {self.endpoint} refused the credentials ({code}): check "
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile, and that they may "
                f"{what.split(' ')[0]} {bucket!r}"
            )
        else:
            hint = f"the store at {self.endpoint} answered {status} {code}"
        raise ObjectStoreError(f"cannot {what}: {hint}")

    def request(
        self, method: str, bucket: str, key: str, query: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        """One signed request: (status, lower-case headers, body). Raises ObjectStoreError
        only when the store cannot be reached."""
        parts = urlsplit(self.endpoint)
        path = quote(f"/{bucket}/{key}" if key else f"/{bucket}", safe="/-_.~")
        canonical_query = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
        )
        headers = self._signed_headers(method, parts.netloc, path, canonical_query, body)
        target = f"{path}?{canonical_query}" if canonical_query else path
        if parts.scheme == "https":
            cafile = os.environ.get("AWS_CA_BUNDLE") or None
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname or "",
                parts.port,
                timeout=_TIMEOUT_S,
                context=ssl.create_default_context(cafile=cafile),
            )
        else:
            connection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=_TIMEOUT_S
            )
        try:
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        except (OSError, http.client.HTTPException) as error:
            detail = getattr(error, "strerror", None) or type(error).__name__
            raise ObjectStoreError(
                f"cannot reach the object store at {self.endpoint} ({detail}): check "
                "endpoint_url and that the store is running"
            ) from None
        finally:
            connection.close()

    def _signed_headers(
        self, method: str, host: str, path: str, canonical_query: str, body: bytes
    ) -> dict[str, str]:
        """SigV4 headers (AWS Signature Version 4, the payload hashed in full)."""
        now = datetime.now(UTC)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        payload = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
        headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
        if self.credentials.session_token:
            headers["x-amz-security-token"] = self.credentials.session_token
        names = sorted(headers)
        signed = ";".join(names)
        canonical = "\n".join(
            [
                method,
                path,
                canonical_query,
                "".join(f"{name}:{headers[name].strip()}\n" for name in names),
                signed,
                payload,
            ]
        )
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key = f"AWS4{self.credentials.secret_key}".encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        return headers


def normalize_etag(value: str | bytes | None) -> str | None:
    """An ETag without its quotes, so listings and reads compare equal.

    Examples
    --------
    >>> normalize_etag('"9b2cf535f27731c974343645a3985328"')
    '9b2cf535f27731c974343645a3985328'
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = value.strip().removeprefix("W/").strip('"')
    return value or None


def s3_filesystem(endpoint: str, region: str, credentials: Credentials) -> pafs.S3FileSystem:
    """An Arrow filesystem for the store: explicit keys and region, path-style addressing."""
    import pyarrow.fs as pafs

    return pafs.S3FileSystem(
        access_key=credentials.access_key,
        secret_key=credentials.secret_key,
        session_token=credentials.session_token,
        region=region,
        endpoint_override=endpoint,
        tls_ca_file_path=os.environ.get("AWS_CA_BUNDLE") or None,
        connect_timeout=10.0,
        request_timeout=_TIMEOUT_S,
    )


@dataclass
class ObjectSource:
    """One s3 source's bucket: the client that lists it and the filesystem that reads it."""

    source: SourceConfig
    api: S3Api
    fs: Any  # pyarrow.fs.S3FileSystem, or anything with its `open_input_stream`

    @classmethod
    def open(cls, source: SourceConfig) -> ObjectSource:
        if source.bucket is None or source.endpoint_url is None:
            raise ObjectStoreError(
                f"source {source.id!r} has no bucket or endpoint_url: load it with load_sources"
            )
        credentials = resolve_credentials(source.profile, what=f"source {source.id!r}")
        region = source.region or DEFAULT_REGION
        api = S3Api(source.endpoint_url, region, credentials)
        return cls(source, api, s3_filesystem(source.endpoint_url, region, credentials))

    def uri(self, key: str) -> str:
        return f"s3://{self.source.bucket}/{key}"

    def objects(self) -> Iterator[tuple[StoreObject, str]]:
        """(object, key relative to the prefix) of every object the globs select."""
        assert self.source.bucket is not None
        matches = PathFilter(self.source.include, self.source.exclude)
        prefix = self.source.prefix
        for item in self.api.list_objects(self.source.bucket, prefix):
            relative = item.key[len(prefix) :]
            if not relative or relative.endswith("/"):
                continue  # the prefix itself, or a folder marker
            if matches(relative):
                yield item, relative

    def fetch(self, item: StoreObject, target: Path) -> tuple[str | None, str | None]:
        """Copy the object into `target` (at most max_file_bytes + 1 bytes); returns the
        ETag and version id of what was read. Raises ExtractionError for this object alone."""
        from curation.exceptions import ExtractionError

        limit = self.source.max_file_bytes
        try:
            with self.fs.open_input_stream(f"{self.source.bucket}/{item.key}") as stream:
                metadata = stream.metadata() or {}
                with target.open("wb") as out:
                    remaining = limit + 1
                    while remaining > 0 and (chunk := stream.read(min(remaining, 1 << 20))):
                        out.write(chunk)
                        remaining -= len(chunk)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ObjectStoreError(
                    f"no space left for a temporary copy in {target.parent}: free space there "
                    "or point TMPDIR at a larger disk"
                ) from None
            message = str(error)
            gone = isinstance(error, (FileNotFoundError, PermissionError))
            if not gone and not any(code in message for code in _OBJECT_ERRORS):
                raise ObjectStoreError(
                    f"cannot read s3://{self.source.bucket}/... from {self.source.endpoint_url}: "
                    f"{message.splitlines()[0][:200]}: check that the store is reachable"
                ) from None
            raise ExtractionError(
                IngestReason.UNREADABLE,
                f"{Path(item.key).name!r} could not be read: {message.splitlines()[0][:200]}",
            ) from None
        # Arrow reports the response's ETag, and VersionId when the bucket keeps versions.
        etag = normalize_etag(_metadata_value(metadata, "ETag")) or item.etag
        return etag, _metadata_value(metadata, "VersionId")


def ingest_s3(
    source: SourceConfig,
    *,
    run_id: str,
    batch_size: int,
    workers: int,
    known: SourceKnown | None = None,
    store: ObjectSource | None = None,
) -> Iterator[IngestBatch]:
    """Every selected object becomes a document, a quarantined row, or (with `known`) an
    unchanged row when its ETag and size match the previous run's: that object is not read.
    A container object (archive, mailbox, e-mail) that matches gives an unchanged row for each
    of its members, unopened; one that does not is read again in full.

    `store` replaces the connection built from the source (tests wrap its reads).
    """
    from curation.ingest.files import limits_for
    from curation.ingest.known import UnchangedRows, changed_stems, follows_a_change
    from curation.ingest.records import BatchBuilder

    store = store or ObjectSource.open(source)
    builder = BatchBuilder(run_id=run_id, source_id=source.id)
    unchanged = (
        UnchangedRows(known, run_id=run_id, source_id=source.id) if known is not None else None
    )
    # an unchanged object whose companion changed is read again (`changed_stems`: a listing
    # of its own, since every change must be known before the first object is skipped)
    dirty = (
        changed_stems(
            ((relative, item.size, None, item.etag, True) for item, relative in store.objects()),
            known,
        )
        if known is not None
        else frozenset()
    )
    with _Extractor(store, limits_for(source), workers) as extractor:
        changed: list[tuple[StoreObject, str]] = []
        for item, relative in store.objects():
            if (
                unchanged is not None
                and not follows_a_change(relative, dirty)
                and unchanged.add(
                    relative, size=item.size, etag=item.etag, modified_us=item.modified_us
                )
            ):
                if len(unchanged) >= batch_size:
                    yield unchanged.batch()
                continue
            changed.append((item, relative))
            if len(changed) >= batch_size:
                yield from _extracted(extractor, changed, builder, batch_size)
                changed = []
        yield from _extracted(extractor, changed, builder, batch_size)
    while len(builder):
        yield builder.build(limit=batch_size)
    if unchanged is not None and len(unchanged):
        yield unchanged.batch()


def _extracted(
    extractor: _Extractor,
    items: list[tuple[StoreObject, str]],
    builder: Any,
    batch_size: int,
) -> Iterator[IngestBatch]:
    """Rows of `items` into `builder`, yielding a batch whenever it holds `batch_size`.

    An object that is a container (archive, mailbox, e-mail) gives one row per member, located
    under its key (`s3://bucket/bundle.zip!/a.pdf`), plus a quarantined row for the object
    itself only when it failed as a whole, as a folder's container files do.
    """
    from curation.ingest.members import ContainerStat, container_failure

    store = extractor.store
    for item, relative, outcome, identity in extractor.outcomes(items):
        if outcome.container:
            # the listing's ETag and size: what the next run's listing is compared with
            stat = ContainerStat(relative, item.size, etag=item.etag)
            for member in outcome.members:
                _add_member(builder, store, item, relative, member, identity, stat)
            if outcome.reason is not None or not outcome.members:
                failure = container_failure(outcome)
                _add_object(builder, store, item, relative, failure, identity, stat)
        else:
            _add_object(builder, store, item, relative, outcome, identity)
        while len(builder) >= batch_size:
            yield builder.build(limit=batch_size)


def _add_object(
    builder: Any,
    store: ObjectSource,
    item: StoreObject,
    relative: str,
    outcome: Outcome,
    identity: dict[str, str],
    stat: ContainerStat | None = None,
) -> None:
    from curation.ingest.members import add_result

    row = _provenance(store, item, relative, outcome, identity)
    add_result(builder, row, outcome, identity=identity, container=stat)


def _add_member(
    builder: Any,
    store: ObjectSource,
    item: StoreObject,
    relative: str,
    member: Member,
    identity: dict[str, str],
    stat: ContainerStat,
) -> None:
    """One member's row: located under its object's key; the object's ETag (and version) say
    which object it came from. Keys are raw in `s3://` URIs, so the raw locator extends it."""
    from curation.ingest.members import add_member

    add_member(
        builder,
        member,
        source_id=store.source.id,
        container=relative,
        container_uri=store.uri(item.key),
        uri_suffix=member.locator,
        modified_us=item.modified_us,
        stat=stat,
        identity=identity,
    )


_Prepared = tuple["StoreObject", str, "Outcome | None", dict[str, str], Path]


class _Extractor:
    """Fetches objects into a private folder and extracts them, in worker processes started
    once per source (on the first object that needs one) unless `workers` is 0."""

    def __init__(self, store: ObjectSource, limits: ExtractLimits, workers: int) -> None:
        self.store = store
        self.limits = limits
        self.workers = workers
        self.folder = Path(tempfile.mkdtemp(prefix="curate-s3-"))
        self._pool: Any = None
        self._number = 0

    def __enter__(self) -> _Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def outcomes(
        self, items: list[tuple[StoreObject, str]]
    ) -> Iterator[tuple[StoreObject, str, Outcome, dict[str, str]]]:
        """Each item with its outcome and identity (etag, version_id), in order. Objects over
        the size limit are refused from the listing, unread; temporary copies are deleted as
        soon as their extraction is done."""
        from curation.ingest.pool import ExtractionPool, Task, run_task

        if not items:
            return
        if self.workers <= 0:  # in-process: for debugging, no timeout and no crash isolation
            for item, relative, outcome, identity, target in self._prepared(items):
                if outcome is None:
                    outcome = run_task(Task(str(target), relative), self.limits)
                    target.unlink(missing_ok=True)
                yield item, relative, outcome, identity
            return
        if self._pool is None:
            self._pool = ExtractionPool(self.workers, limits=self.limits)
        ready: list[_Prepared] = []

        def tasks() -> Iterator[Task]:
            for entry in self._prepared(items):
                ready.append(entry)
                if entry[2] is None:
                    yield Task(str(entry[4]), entry[1])

        for _task, outcome in self._pool.map(tasks(), window=_FETCH_AHEAD + self.workers):
            while ready and ready[0][2] is not None:
                yield _done(ready.pop(0))
            item, relative, _, identity, target = ready.pop(0)
            target.unlink(missing_ok=True)
            yield item, relative, outcome, identity
        while ready:
            yield _done(ready.pop(0))

    def _prepared(self, items: list[tuple[StoreObject, str]]) -> Iterator[_Prepared]:
        """Each item fetched to a numbered file, or refused with its outcome."""
        from curation.exceptions import ExtractionError
        from curation.ingest.pool import Outcome

        limit = self.limits.max_file_bytes
        for item, relative in items:
            self._number += 1
            target = self.folder / f"{self._number:010d}"
            identity = {"etag": item.etag} if item.etag else {}
            if item.size > limit:
                message = (
                    f"{Path(relative).name!r} has {item.size} bytes (limit {limit}): raise "
                    "max_file_bytes for this source or exclude the object"
                )
                refused = Outcome(
                    None, None, item.size, IngestReason.TOO_LARGE.value, message, "Refused"
                )
                yield item, relative, refused, identity, target
                continue
            try:
                etag, version = self.store.fetch(item, target)
            except ExtractionError as error:
                failed = Outcome(None, None, None, error.reason, str(error), "Unreadable")
                yield item, relative, failed, identity, target
                continue
            identity = {"etag": etag} if etag else {}
            if version:
                identity["version_id"] = version
            yield item, relative, None, identity, target


def _done(entry: _Prepared) -> tuple[StoreObject, str, Outcome, dict[str, str]]:
    item, relative, outcome, identity, _ = entry
    assert outcome is not None
    return item, relative, outcome, identity


def _provenance(
    store: ObjectSource,
    item: StoreObject,
    relative: str,
    outcome: Outcome,
    identity: dict[str, str],
) -> dict[str, Any]:
    from curation.ingest.members import input_row
    from curation.schema import make_doc_id

    return input_row(
        doc_id=make_doc_id(store.source.id, relative),
        source_uri=store.uri(item.key),
        relative_path=relative,
        sha256=outcome.sha256,
        size=outcome.size if outcome.size is not None else item.size,
        modified_us=item.modified_us,
        identity=identity,
    )


def _children(node: Any, name: str) -> list[Any]:
    return [child for child in node if child.tag.rsplit("}", 1)[-1] == name]


def _text(node: Any, name: str) -> str | None:
    for child in _children(node, name):
        return child.text
    return None


def _error_code(body: bytes) -> str | None:
    from xml.etree.ElementTree import ParseError

    from defusedxml import ElementTree

    try:
        return _text(ElementTree.fromstring(body), "Code") if body.strip() else None
    except (ParseError, ValueError):
        return None


def _micros(value: str | None) -> int | None:
    """An S3 timestamp (`2026-12-07T06:54:21.000Z`) as UTC microseconds since the epoch."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _metadata_value(metadata: Any, name: str) -> str | None:
    try:
        value = metadata.get(name) if hasattr(metadata, "get") else None
    except (KeyError, TypeError):
        value = None
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
