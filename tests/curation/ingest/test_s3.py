"""S3 sources and S3 warehouses against a real SeaweedFS server (no mock of S3), through the
library and through `curate ingest scan`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from curation.exceptions import SpecError
from curation.ingest import SourceConfig, ingest_source, load_sources
from curation.ingest.known import KnownInputs, batch_inputs, inputs_table
from curation.ingest.s3 import ObjectSource, ObjectStoreError, ingest_s3
from curation.schema import make_doc_id

from . import samples

if TYPE_CHECKING:
    from s3_server import S3Server

pytest_plugins = ["s3_server"]

OBJECTS = {
    "share/policies/leave.md": b"# Leave\n\nEveryone gets thirty days of paid leave a year.\n",
    "share/notes/meeting notes+1.txt": b"The meeting moved to Thursday at ten.\n",
    "share/reports/q3.pdf": samples.make_pdf("Revenue grew in the third quarter."),
    "share/bad/corrupt.pdf": b"%PDF-1.7\nthis is not a pdf at all",
    "share/bad/big.txt": b"x" * 4_000,
    "share/skip/draft.txt": b"excluded by the source's globs\n",
    "other/outside.txt": b"not below the prefix\n",
}


def source_for(server: S3Server, bucket: str, **overrides: object) -> SourceConfig:
    item = {
        "id": "store",
        "type": "s3",
        "bucket": bucket,
        "prefix": "share",
        "endpoint_url": server.endpoint,
        "exclude": ["skip/**"],
        "max_file_bytes": 2_000,
        "license": "CC-BY-4.0",
        **overrides,
    }
    (source,) = load_sources([item], Path.cwd())
    return source


def fill(server: S3Server, bucket: str) -> dict[str, str]:
    return {key: server.put(bucket, key, data) for key, data in OBJECTS.items()}


def collect(batches) -> tuple[list[dict], list[dict], list[dict]]:
    documents, quarantined, unchanged = [], [], []
    for batch in batches:
        documents += batch.documents.to_pylist()
        quarantined += batch.quarantined.to_pylist()
        unchanged += batch.unchanged.to_pylist()
    return documents, quarantined, unchanged


class CountingStore(ObjectSource):
    """The real store, counting the objects it reads."""

    reads: list[str]

    def fetch(self, item, target):  # type: ignore[override]
        self.reads.append(item.key)
        return super().fetch(item, target)


def counting(source: SourceConfig) -> CountingStore:
    opened = ObjectSource.open(source)
    store = CountingStore(opened.source, opened.api, opened.fs)
    store.reads = []
    return store


def test_objects_become_documents_with_s3_provenance_and_etag(s3_env, s3_bucket):
    etags = fill(s3_env, s3_bucket)
    source = source_for(s3_env, s3_bucket)

    documents, quarantined, unchanged = collect(ingest_source(source, run_id="r1", workers=2))

    by_path = {d["relative_path"]: d for d in documents}
    assert set(by_path) == {"policies/leave.md", "notes/meeting notes+1.txt", "reports/q3.pdf"}
    leave = by_path["policies/leave.md"]
    data = OBJECTS["share/policies/leave.md"]
    assert leave["source_uri"] == f"s3://{s3_bucket}/share/policies/leave.md"
    assert leave["doc_id"] == make_doc_id("store", "policies/leave.md")
    assert leave["content_sha256"] == hashlib.sha256(data).hexdigest()
    assert leave["size_bytes"] == len(data)
    assert leave["modified_at"] is not None
    assert "thirty days" in leave["text"]
    assert json.loads(leave["metadata_json"])["etag"] == etags["share/policies/leave.md"]
    assert "Revenue grew" in by_path["reports/q3.pdf"]["text"]
    assert by_path["reports/q3.pdf"]["extractor"] == "pypdf"
    reasons = {q["relative_path"]: q["reason"] for q in quarantined}
    assert reasons == {"bad/corrupt.pdf": "ingest.parse_error", "bad/big.txt": "ingest.too_large"}
    assert unchanged == []


def test_unchanged_objects_are_not_read_again(s3_env, s3_bucket):
    fill(s3_env, s3_bucket)
    source = source_for(s3_env, s3_bucket)
    first = list(ingest_s3(source, run_id="r1", batch_size=2, workers=0))
    known = KnownInputs(inputs_table(batch_inputs(b, source) for b in first))
    s3_env.put(s3_bucket, "share/notes/meeting notes+1.txt", b"The meeting moved to Friday.\n")
    s3_env.put(s3_bucket, "share/new.txt", b"A new object arrived overnight.\n")
    s3_env.delete(s3_bucket, "share/policies/leave.md")
    store = counting(source)

    batches = list(
        ingest_s3(
            source,
            run_id="r2",
            batch_size=2,
            workers=0,
            known=known.for_source(source),
            store=store,
        )
    )
    documents, quarantined, unchanged = collect(batches)

    assert sorted(store.reads) == ["share/new.txt", "share/notes/meeting notes+1.txt"]
    assert sorted(d["relative_path"] for d in documents) == ["new.txt", "notes/meeting notes+1.txt"]
    assert quarantined == []
    same = {u["relative_path"]: u for u in unchanged}
    assert set(same) == {"reports/q3.pdf", "bad/corrupt.pdf", "bad/big.txt"}
    pdf = OBJECTS["share/reports/q3.pdf"]
    assert same["reports/q3.pdf"]["content_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert same["reports/q3.pdf"]["reason"] is None
    assert same["reports/q3.pdf"]["text"] is None
    assert same["bad/corrupt.pdf"]["reason"] == "ingest.parse_error"
    assert all(b.num_inputs <= 2 for b in batches)
    # the next run's known inputs roll the unchanged objects forward with their ETags
    again = inputs_table(batch_inputs(b, source) for b in batches)
    assert again.num_rows == 5 and again.column("etag").null_count == 0

    verified = counting(source)
    collect(ingest_s3(source, run_id="r3", batch_size=2, workers=0, store=verified))
    assert len(verified.reads) == 4  # everything but the object over the size limit


def test_objects_whose_companion_changed_or_went_are_read_again(s3_env, s3_bucket):
    """An object may inherit its license from a companion it is named after (as a file in a
    folder does): when that companion is edited, added or deleted, the unchanged object is
    read and decided again; the others stay unread."""
    objects = {
        "peps/pep-0602.rst": b"PEP 602\n\nThis document has been placed in the public domain.\n",
        "peps/pep-0602-calendar.txt": b"Release calendar.\n",
        "peps/pep-0639.md": b"PEP 639\n\nThis document has been placed in the public domain.\n",
        "peps/pep-0639/appendix.txt": b"Examples.\n",
        "peps/pep-0700-notes.txt": b"Notes of an unrelated document.\n",
        "peps/other.txt": b"Nothing to do with the others.\n",
    }
    for key, data in objects.items():
        s3_env.put(s3_bucket, key, data)
    source = source_for(s3_env, s3_bucket, prefix="peps/")
    first = list(ingest_s3(source, run_id="r1", batch_size=10, workers=0))
    known = KnownInputs(inputs_table(batch_inputs(b, source) for b in first))
    s3_env.put(s3_bucket, "peps/pep-0602.rst", b"PEP 602\n\nLicensed under CC-BY-4.0.\n")
    s3_env.delete(s3_bucket, "peps/pep-0639.md")
    s3_env.put(s3_bucket, "peps/pep-0700.md", b"PEP 700\n\nLicensed under CC-BY-4.0.\n")
    store = counting(source)

    documents, _, unchanged = collect(
        ingest_s3(
            source,
            run_id="r2",
            batch_size=10,
            workers=0,
            known=known.for_source(source),
            store=store,
        )
    )

    read_again = [
        "pep-0602-calendar.txt",
        "pep-0602.rst",
        "pep-0639/appendix.txt",
        "pep-0700-notes.txt",
        "pep-0700.md",
    ]
    assert sorted(d["relative_path"] for d in documents) == read_again
    assert sorted(store.reads) == [f"peps/{key}" for key in read_again]
    assert [u["relative_path"] for u in unchanged] == ["other.txt"]


def test_container_objects_give_one_document_per_member(s3_env, s3_bucket):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("docs/a.txt", "The first member of the bundle.\n")
        bundle.writestr("docs/b.md", "# Second\n\nThe second member.\n")
    etag = s3_env.put(s3_bucket, "share/bundle.zip", buffer.getvalue())
    s3_env.put(s3_bucket, "share/inbox/1.eml", samples.make_eml())

    documents, quarantined, _ = collect(
        ingest_source(source_for(s3_env, s3_bucket), run_id="r", workers=2)
    )

    by_path = {d["relative_path"]: d for d in documents}
    assert {"bundle.zip!/docs/a.txt", "bundle.zip!/docs/b.md"} <= set(by_path)
    member = by_path["bundle.zip!/docs/a.txt"]
    assert member["source_uri"] == f"s3://{s3_bucket}/share/bundle.zip!/docs/a.txt"
    assert member["doc_id"] == make_doc_id("store", "bundle.zip!/docs/a.txt")
    assert (
        member["content_sha256"] == hashlib.sha256(b"The first member of the bundle.\n").hexdigest()
    )
    assert json.loads(member["metadata_json"])["etag"] == etag
    messages = [d for d in documents if d["relative_path"].startswith("inbox/1.eml#")]
    assert messages and all(
        m["source_uri"].startswith(f"s3://{s3_bucket}/share/inbox/1.eml#") for m in messages
    )
    assert quarantined == []


def test_container_objects_with_the_same_etag_are_not_read_again(s3_env, s3_bucket):
    import io
    import zipfile

    def bundle(*names: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in names:
                archive.writestr(name, f"The member called {name}.\n")
        return buffer.getvalue()

    s3_env.put(s3_bucket, "share/bundle.zip", bundle("a.txt", "b.txt"))
    s3_env.put(s3_bucket, "share/inbox/1.eml", samples.make_eml())
    source = source_for(s3_env, s3_bucket)
    first = list(ingest_s3(source, run_id="r1", batch_size=2, workers=0))
    known = KnownInputs(inputs_table(batch_inputs(b, source) for b in first))
    members = {r for b in first for r in b.documents.column("relative_path").to_pylist()}

    store = counting(source)
    again = list(
        ingest_s3(
            source,
            run_id="r2",
            batch_size=2,
            workers=0,
            known=known.for_source(source),
            store=store,
        )
    )
    documents, quarantined, unchanged = collect(again)

    assert store.reads == []
    assert documents == [] and quarantined == []
    assert {u["relative_path"] for u in unchanged} == members
    assert inputs_table(batch_inputs(b, source) for b in again).equals(known.table)

    s3_env.put(s3_bucket, "share/bundle.zip", bundle("a.txt"))
    store = counting(source)
    documents, _, unchanged = collect(
        ingest_s3(
            source,
            run_id="r3",
            batch_size=2,
            workers=0,
            known=known.for_source(source),
            store=store,
        )
    )
    assert store.reads == ["share/bundle.zip"]
    assert [d["relative_path"] for d in documents] == ["bundle.zip!/a.txt"]
    assert not any(u["relative_path"].startswith("bundle.zip") for u in unchanged)


def test_listing_pages_through_every_key(s3_env, s3_bucket):
    keys = sorted(f"share/page/{n:02d} Überblick+{n}.txt" for n in range(7))
    for key in keys:
        s3_env.put(s3_bucket, key, b"x")

    listed = [item.key for item in s3_env.api().list_objects(s3_bucket, "share/", page_size=3)]

    assert listed == keys


def test_versioned_bucket_records_the_version_read(s3_env, s3_bucket):
    api = s3_env.api()
    config = (
        b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Status>Enabled</Status></VersioningConfiguration>"
    )
    assert api.request("PUT", s3_bucket, "", {"versioning": ""}, config)[0] == 200
    api.request("PUT", s3_bucket, "share/a.txt", {}, b"first version\n")
    _, headers, _ = api.request("PUT", s3_bucket, "share/a.txt", {}, b"second version\n")

    documents, _, _ = collect(ingest_source(source_for(s3_env, s3_bucket), run_id="r", workers=0))

    (document,) = documents
    assert document["text"] == "second version\n"
    assert json.loads(document["metadata_json"])["version_id"] == headers["x-amz-version-id"]


def test_credentials_from_a_named_profile(s3_server, s3_bucket, tmp_path, monkeypatch):
    s3_server.put(s3_bucket, "share/a.txt", b"from a profile\n")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[team]\naws_access_key_id = {s3_server.access_key}\n"
        f"aws_secret_access_key = {s3_server.secret_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    source = source_for(s3_server, s3_bucket, profile="team")

    documents, _, _ = collect(ingest_source(source, run_id="r", workers=0))

    assert [d["text"] for d in documents] == ["from a profile\n"]


def test_store_errors_say_what_to_fix_and_never_show_the_secret(s3_env, s3_bucket, monkeypatch):
    source = source_for(s3_env, s3_bucket)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
    with pytest.raises(ObjectStoreError) as refused:
        list(ingest_source(source, run_id="r", workers=0))
    missing = source_for(s3_env, "no-such-bucket-here")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_env.secret_key)
    with pytest.raises(ObjectStoreError) as no_bucket:
        list(ingest_source(missing, run_id="r", workers=0))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    with pytest.raises(ObjectStoreError) as no_credentials:
        list(ingest_source(source, run_id="r", workers=0))

    assert "refused the credentials" in str(refused.value)
    assert "AWS_ACCESS_KEY_ID" in str(refused.value)
    assert "does not exist" in str(no_bucket.value)
    assert "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in str(no_credentials.value)
    for error in (refused, no_bucket, no_credentials):
        message = str(error.value)
        assert "\n" not in message
        assert "wrong-secret-value" not in message and s3_env.secret_key not in message


def test_unreachable_store_fails_with_the_endpoint_to_check(s3_env):
    (source,) = load_sources(
        [{"id": "s", "type": "s3", "path": "s3://bucket/x", "endpoint_url": "http://127.0.0.1:9"}],
        Path.cwd(),
    )
    with pytest.raises(
        ObjectStoreError, match="cannot reach the object store at http://127.0.0.1:9"
    ):
        list(ingest_source(source, run_id="r", workers=0))


@pytest.mark.parametrize(
    ("item", "key", "hint"),
    [
        ({"type": "s3", "endpoint_url": "http://h:9000"}, "sources[0].bucket", "needs a bucket"),
        ({"type": "s3", "bucket": "Bad_Name", "endpoint_url": "http://h"}, "sources[0].bucket", ""),
        ({"type": "s3", "bucket": "docs"}, "sources[0].endpoint_url", "CURATE_S3_ENDPOINT"),
        (
            {"type": "s3", "bucket": "docs", "endpoint_url": "http://key:secret@h:9000"},
            "sources[0].endpoint_url",
            "must not hold credentials",
        ),
        (
            {"type": "s3", "bucket": "docs", "endpoint_url": "ftp://h"},
            "sources[0].endpoint_url",
            "http(s)://host",
        ),
        ({"type": "folder", "path": ".", "bucket": "docs"}, "sources[0].bucket", "only applies"),
    ],
)
def test_invalid_s3_sources_name_the_key(item, key, hint, monkeypatch):
    for name in ("CURATE_S3_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SpecError) as caught:
        load_sources([{"id": "a", **item}], Path.cwd())
    assert caught.value.key == key
    assert hint in str(caught.value)


def test_s3_source_settings_from_the_path_shorthand_and_environment(monkeypatch):
    monkeypatch.setenv("CURATE_S3_ENDPOINT", "https://minio.internal:9000/")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    (source,) = load_sources([{"id": "a", "type": "s3", "path": "s3://docs/hr/2026/"}], Path.cwd())
    assert (source.bucket, source.prefix, source.path) == ("docs", "hr/2026/", "")
    assert (source.endpoint_url, source.region) == ("https://minio.internal:9000", "eu-central-1")


def test_iceberg_warehouse_on_the_store(s3_env, s3_bucket, tmp_path, monkeypatch):
    from catalogs.registry import CatalogSettings, open_catalog, warehouse_filesystem
    from curation.workspace import Workspace

    monkeypatch.setenv("CURATE_S3_ENDPOINT", s3_env.endpoint)
    settings = CatalogSettings.for_workspace(
        Workspace(tmp_path / "ws"), warehouse=f"s3://{s3_bucket}/warehouse"
    )
    catalog = open_catalog(settings)
    catalog.create_namespace("curated")
    table = catalog.create_table("curated.t", schema=pa.schema([("doc_id", pa.string())]))
    table.append(pa.table({"doc_id": ["a", "b"]}))

    fs, root = warehouse_filesystem(settings)
    stored = [info.path for info in fs.get_file_info(pa.fs.FileSelector(root, recursive=True))]
    assert catalog.load_table("curated.t").scan().to_arrow().column("doc_id").to_pylist() == [
        "a",
        "b",
    ]
    assert any(path.endswith(".parquet") for path in stored)
    assert s3_env.secret_key not in repr(settings)


@pytest.fixture()
def app():
    """A root app with only `curate ingest`, as `flows.cli` registers it."""
    import typer

    from flows.commands.ingest import register

    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """curate"""

    register(root)
    return root


def _fill_store(server: S3Server, bucket: str) -> None:
    """A prefix with a note, a PDF, a zip of two members, a broken PDF, and an object beside it."""
    import io
    import zipfile

    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("docs/a.txt", "The first member of the bundle.\n")
        archive.writestr("docs/b.md", "# Second\n\nThe second member.\n")
    objects = {
        "share/notes/leave policy.txt": b"Everyone gets thirty days of paid leave a year.\n",
        "share/reports/q3.pdf": samples.make_pdf("Revenue grew in the third quarter."),
        "share/bundle.zip": bundle.getvalue(),
        "share/bad/corrupt.pdf": b"%PDF-1.7\nthis is not a pdf at all",
        "elsewhere/outside.txt": b"not below the prefix\n",
    }
    for key, data in objects.items():
        server.put(bucket, key, data)


def _check_store_scan(result, out: Path, bucket: str, secret: str) -> None:
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    payload = json.loads(result.stdout)
    assert (payload["inputs"], payload["documents"], payload["quarantined"]) == (5, 4, 1)
    assert payload["by_reason"] == {"ingest.parse_error": 1}
    documents = pq.read_table(out / "documents.parquet").to_pylist()
    texts = {d["source_uri"]: d["text"] for d in documents}
    assert texts == {
        f"s3://{bucket}/share/notes/leave policy.txt": (
            "Everyone gets thirty days of paid leave a year.\n"
        ),
        f"s3://{bucket}/share/reports/q3.pdf": "Revenue grew in the third quarter.",
        f"s3://{bucket}/share/bundle.zip!/docs/a.txt": "The first member of the bundle.\n",
        f"s3://{bucket}/share/bundle.zip!/docs/b.md": "# Second\n\nThe second member.\n",
    }
    assert all(json.loads(d["metadata_json"])["etag"] for d in documents)
    (broken,) = pq.read_table(out / "quarantined.parquet").to_pylist()
    assert broken["source_uri"] == f"s3://{bucket}/share/bad/corrupt.pdf"


@pytest.mark.usefixtures("s3_env")
def test_scan_reads_an_object_store_prefix(app, s3_server, s3_bucket, tmp_path):
    """typer must not collapse the URI's `//` (a Path argument would make it `s3:/bucket`)."""
    _fill_store(s3_server, s3_bucket)
    out = tmp_path / "out"
    args = ["ingest", "scan", f"s3://{s3_bucket}/share", "--endpoint-url", s3_server.endpoint]

    result = CliRunner().invoke(app, [*args, "--output", str(out), "--json"])

    _check_store_scan(result, out, s3_bucket, s3_server.secret_key)
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[:2] == [
        "scan: 5 inputs, 4 documents, 1 quarantined",
        "  ingest.parse_error: 1",
    ]


@pytest.mark.usefixtures("s3_env")
def test_scan_reads_a_spec_source_by_id(app, s3_server, s3_bucket, tmp_path):
    _fill_store(s3_server, s3_bucket)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nA local note.\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: mixed\n"
        "sources:\n"
        "  - {id: local, path: docs, license: CC0-1.0}\n"
        f"  - {{id: store, type: s3, path: 's3://{s3_bucket}/share', "
        f"endpoint_url: '{s3_server.endpoint}', license: CC0-1.0}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"

    result = CliRunner().invoke(
        app,
        ["ingest", "scan", "--spec", str(spec), "--id", "store", "--output", str(out), "--json"],
    )

    _check_store_scan(result, out, s3_bucket, s3_server.secret_key)
    assert json.loads(result.stdout)["source_id"] == "store"
    unnamed = CliRunner().invoke(app, ["ingest", "scan", "--spec", str(spec)])
    assert unnamed.exit_code == 2
    assert "has sources local, store: name one with --id" in unnamed.stderr
