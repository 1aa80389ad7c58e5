"""The SQL console: one read-only SELECT over the version, nothing else reachable."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from web_checks import assert_inert
from web_corpus import BREAKOUT, DATASET

from catalogs.web.exceptions import QueryRefused
from catalogs.web.links import version_url
from catalogs.web.sql_console import run_query, sandboxed_connection

SQL = version_url(DATASET, "v1") + "/sql"


def ask(client, query: str, *, api: bool = True, **params: str):
    extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
    return client.get(("/api" if api else "") + f"{SQL}?q={quote(query)}{extra}")


def test_a_count_query_works(client):
    response = ask(client, "SELECT count(*) AS n FROM docs")

    assert response.status_code == 200
    data = response.json()
    assert data["columns"] == [{"name": "n", "type": "int64"}]
    assert data["rows"] == [[80]] and data["truncated"] is False


def test_the_page_has_a_get_form_and_shows_results(client):
    response = ask(
        client, "SELECT source_id, count(*) AS n FROM docs GROUP BY 1 ORDER BY 1", api=False
    )

    assert response.status_code == 200
    html = response.text
    assert '<form class="sql" method="get"' in html and 'name="q"' in html
    assert "<td>legal</td>" in html
    assert "Download CSV" in html and "format=csv" in html and "format=parquet" in html
    assert_inert(html)


def test_csv_and_parquet_downloads_parse(client):
    query = "SELECT doc_id, lang, quality_signals FROM docs ORDER BY doc_id"
    as_csv = ask(client, query, api=False, format="csv")
    as_parquet = ask(client, query, api=False, format="parquet")

    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 80 and set(rows[0]) == {"doc_id", "lang", "quality_signals"}
    assert rows[0]["quality_signals"].startswith("[{")
    table = pq.read_table(io.BytesIO(as_parquet.content))
    assert table.num_rows == 80
    assert table.column("doc_id").to_pylist() == sorted(r["doc_id"] for r in rows)
    assert as_parquet.headers["content-disposition"].endswith('.parquet"')


def test_results_are_limited_and_paginated(client):
    first = ask(client, "SELECT i FROM range(25000) t(i)").json()
    third = ask(client, "SELECT i FROM range(25000) t(i)", page="3").json()

    assert first["row_count"] == 10_000 and first["truncated"] is True
    assert first["pages"] == 100 and len(first["rows"]) == 100
    assert third["rows"][0] == [200]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
        ("SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled"),
        ("SET enable_external_access = true", "only SELECT queries run here"),
        ("SELECT 1; SELECT 2", "one statement at a time"),
        ("COPY (SELECT * FROM docs) TO '/tmp/out.csv'", "only SELECT queries run here"),
        ("ATTACH '/tmp/other.duckdb'", "only SELECT queries run here"),
        ("SELEC 1", "Parser Error"),
        ("", "write a SELECT query"),
    ],
)
def test_what_is_refused_says_why(client, query, message):
    response = ask(client, query)
    page = ask(client, query, api=False)

    if query:
        assert response.status_code == 400
        assert message in response.json()["error"]
        assert page.status_code == 400 and message in page.text
    else:  # an empty console is just the form
        assert response.status_code == 200 and "rows" not in response.json()


def test_another_parquet_file_cannot_be_read(client, tmp_path):
    other = tmp_path / "secret.parquet"
    pq.write_table(pa.table({"secret": ["s3cr3t"]}), other)

    response = ask(client, f"SELECT * FROM read_parquet('{other}')")

    assert response.status_code == 400
    assert "file system operations are disabled" in response.json()["error"]
    assert "s3cr3t" not in response.text


def test_the_sandbox_cannot_be_reopened_from_inside(catalog_fixture, tmp_path):
    data_file = tmp_path / "d.parquet"
    pq.write_table(pa.table({"doc_id": ["a", "b"]}), data_file)
    connection = sandboxed_connection([str(data_file)])
    try:
        assert connection.execute("SELECT count(*) FROM docs").fetchone() == (2,)
        for statement in (
            "SET enable_external_access = true",
            "RESET enable_external_access",
            "SET lock_configuration = false",
            "SET allowed_paths = ['/etc/passwd']",
        ):
            with pytest.raises(duckdb.Error, match="locked"):
                connection.execute(statement)
        with pytest.raises(duckdb.PermissionException):
            connection.execute("SELECT * FROM read_csv('/etc/passwd')")
    finally:
        connection.close()


def test_a_query_past_its_time_limit_is_interrupted(tmp_path):
    with pytest.raises(QueryRefused, match="ran longer than"):
        run_query([], "SELECT sum(hash(i)) FROM range(1000000000000) t(i)", timeout_s=0.2)


def test_a_textarea_breakout_in_the_query_stays_text(client):
    html = ask(client, f"SELECT '{BREAKOUT}' AS x", api=False).text

    assert BREAKOUT not in html
    assert "&lt;/textarea&gt;&lt;script&gt;" in html
    assert_inert(html)
