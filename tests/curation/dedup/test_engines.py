"""The in-memory and out-of-core engines decide the same rows the same way, through DedupStage."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import build_config
from curation.dedup.config import DedupConfig
from curation.dedup.index import SignatureIndex
from curation.dedup.outofcore import connect, deduplicate_parquet, sql_path
from curation.dedup.ranking import RULES, order_by_sql, rank_select_sql, representative_order
from curation.dedup.reasons import DedupReason
from curation.dedup.stage import DedupStage, deduplicate
from curation.exceptions import SpecError
from curation.ledger import reconcile
from curation.schema import conform
from curation.stage import Scope, Stage, run_stage
from licensing.expressions import PERMISSIVENESS, Category

NEAR, EXACT = DedupReason.NEAR_DUPLICATE.value, DedupReason.EXACT_DUPLICATE.value
CATEGORIES = [c.value for c in Category] + [None]


def documents(rows: list[dict]) -> pa.Table:
    full = [{"source_id": "s", "source_uri": f"u:{r['doc_id']}", **r} for r in rows]
    return conform(pa.Table.from_pylist(full))


def day(d: int | None) -> datetime | None:
    return None if d is None else datetime(2026, 1, d, tzinfo=UTC)


@pytest.fixture
def corpus(make_prose, make_edit) -> pa.Table:
    """Six families (original, two revisions, an exact copy of the original and one of a
    revision) and eight unique pages; licenses of every category, tied and missing dates."""
    rng = np.random.RandomState(7)
    rows = []
    for family in range(6):
        base = make_prose(family, 260)
        first, second = make_edit(base, 0.01, family), make_edit(base, 0.02, family + 40)
        texts = [base, first, second, base.upper(), first.lower() + " !!"]
        for v, text in enumerate(texts):
            rows.append({"doc_id": f"f{family}-{v}", "text": text})
    rows += [{"doc_id": f"u{i}", "text": make_prose(200 + i, 260)} for i in range(8)]
    for row in rows:
        row["modified_at"] = day(None if rng.rand() < 0.15 else int(rng.randint(1, 6)))
        row["license_category"] = CATEGORIES[rng.randint(len(CATEGORIES))]
    order = rng.permutation(len(rows))  # input order must not decide anything
    return documents([rows[i] for i in order])


def outputs(table: pa.Table, cfg: DedupConfig, tmp_path, index_path=None) -> dict:
    """StageOutput of both engines on `table`, by engine name."""
    result = {}
    for engine in ("memory", "out_of_core"):
        index = SignatureIndex.open(index_path) if index_path is not None else None
        stage = DedupStage(
            build_config(DedupConfig, {**cfg_mapping(cfg), "engine": engine}, "dedup"),
            index=index,
            work_dir=tmp_path / f"work-{engine}",
        )
        result[engine] = stage.process(table)
    return result


def cfg_mapping(cfg: DedupConfig) -> dict:
    return {k: getattr(cfg, k) for k in ("representative", "verify", "exact_margin")} | {
        "kept_similarity": cfg.kept_similarity
    }


def assert_same(outputs: dict) -> None:
    memory, disk = outputs["memory"], outputs["out_of_core"]
    assert disk.table.equals(memory.table)
    for column in ("decision", "reason", "details"):
        assert (
            getattr(disk.decision, column).to_pylist()
            == getattr(memory.decision, column).to_pylist()
        ), column
    expected, result = memory.artifacts["signatures"], disk.artifacts["signatures"]
    assert (expected is None) == (result is None)
    if expected is not None:
        assert result.schema.equals(expected.schema, check_metadata=True)
        assert result.equals(expected)
    assert memory.artifacts["stats"]["engine"] == "memory"
    assert disk.artifacts["stats"]["engine"] == "out_of_core"
    shared = ["documents", "exact_duplicates", "near_duplicates", "kept", "matched_index"]
    shared += ["candidate_pairs", "verified_pairs", "index_candidates"]
    assert {k: disk.artifacts["stats"][k] for k in shared} == {
        k: memory.artifacts["stats"][k] for k in shared
    }


@pytest.mark.parametrize("verify", ["estimated", "exact"])
@pytest.mark.parametrize("rule", list(RULES))
def test_engines_agree_for_every_rule(tmp_path, corpus, rule, verify):
    cfg = DedupConfig(representative=rule, verify=verify, exact_margin=0.3)
    result = outputs(corpus, cfg, tmp_path)
    assert_same(result)
    output = result["memory"]
    reasons = output.decision.reason.to_pylist()
    assert reasons.count(EXACT) >= 3 and reasons.count(NEAR) >= 12
    ids = corpus.column("doc_id").to_pylist()
    cluster = dict(zip(ids, output.table.column("dedup_cluster").to_pylist(), strict=True))
    reason = dict(zip(ids, reasons, strict=True))
    assert all(cluster[i].split("-")[0] == i.split("-")[0] for i in ids)  # no cross-family merge
    assert all(cluster[f"u{i}"] == f"u{i}" for i in range(8))
    # both texts of an exact pair near duplicates: the copy followed its group's best row
    pairs = [(f"f{f}-0", f"f{f}-3") for f in range(6)] + [(f"f{f}-1", f"f{f}-4") for f in range(6)]
    assert any(reason[a] == reason[b] == NEAR for a, b in pairs)
    assert not list((tmp_path / "work-out_of_core").iterdir())  # unredacted text removed


def test_engines_agree_with_plain_components_and_no_verification(tmp_path, corpus):
    for cfg in (DedupConfig(kept_similarity=0.0), DedupConfig(verify="none", exact=False)):
        assert_same(outputs(corpus, cfg, tmp_path))


def test_ranking_is_the_same_in_polars_and_duckdb(tmp_path):
    rng = np.random.RandomState(3)
    n = 300
    table = pa.table(
        {
            "doc_id": [f"d{rng.randint(10_000):05d}-{i}" for i in range(n)],
            "text": [None if rng.rand() < 0.1 else "é" * rng.randint(5) for _ in range(n)],
            "modified_at": pa.array(
                [day(None if rng.rand() < 0.2 else int(rng.randint(1, 4))) for _ in range(n)],
                pa.timestamp("us", tz="UTC"),
            ),
            "license_category": [
                [*CATEGORIES, "Permissive", "other"][rng.randint(len(CATEGORIES) + 2)]
                for _ in range(n)
            ],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    con = connect(tmp_path, None)
    for rule in RULES:
        select = rank_select_sql(rule, set(table.column_names))
        sql = (
            f"SELECT file_row_number AS row FROM (SELECT file_row_number, {select} FROM "
            f"read_parquet({sql_path(tmp_path / 't.parquet')}, file_row_number = true)) "
            f"ORDER BY {order_by_sql(rule)}"
        )
        ordered = con.execute(sql).fetch_arrow_table().column("row").to_numpy()
        assert ordered.tolist() == representative_order(table, rule).tolist(), rule
    con.close()


def test_permissiveness_ranks_every_category_apart():
    assert sorted(PERMISSIVENESS) == sorted(Category) and len(set(PERMISSIVENESS)) == len(Category)
    assert PERMISSIVENESS.index(Category.COPYLEFT) < PERMISSIVENESS.index(Category.INTERNAL)
    assert (
        PERMISSIVENESS.index(Category.INTERNAL)
        < PERMISSIVENESS.index(Category.NON_COMMERCIAL)
        < PERMISSIVENESS.index(Category.PROPRIETARY)
        < PERMISSIVENESS.index(Category.UNKNOWN)
    )


@pytest.fixture
def committed(tmp_path, make_prose):
    """An index holding version v1 (three pages), written by the out-of-core engine with
    `verify: exact` so that it stores shingle sets."""
    v1 = documents(
        [
            {"doc_id": f"p{i}", "text": make_prose(10 + i, 300), "modified_at": day(9)}
            for i in range(3)
        ]
    )
    cfg = DedupConfig(engine="out_of_core", verify="exact")
    output = DedupStage(cfg, work_dir=tmp_path / "v1").process(v1)
    expected = DedupStage(DedupConfig(engine="memory", verify="exact")).process(v1)
    assert output.artifacts["signatures"].equals(expected.artifacts["signatures"])
    path = tmp_path / "index"
    SignatureIndex.open(path).add(output.artifacts["signatures"], version="v1")
    return path


@pytest.mark.parametrize("verify", ["estimated", "exact"])
def test_incremental_run_matches_the_committed_set_out_of_core(
    tmp_path, committed, make_prose, make_edit, python_shingles, verify
):
    v2 = documents(
        [
            # older than the committed page: under "oldest" it would win, but p1 is in the set
            {
                "doc_id": "n1",
                "text": make_edit(make_prose(11, 300), 0.01, 3),
                "modified_at": day(1),
            },
            {"doc_id": "n2", "text": make_prose(12, 300).upper()},  # exact copy of p2
            {"doc_id": "n2b", "text": make_prose(12, 300) + " ."},  # and another one
            {"doc_id": "n3", "text": make_prose(99, 300)},
            {"doc_id": "n4", "text": make_edit(make_prose(99, 300), 0.01, 4)},
            # p0 re-ingested with an edit: not a duplicate of its own committed version
            {"doc_id": "p0", "text": make_edit(make_prose(10, 300), 0.01, 8)},
            # an exact copy of n1, which is a near duplicate of p1: follows n1 to p1
            {"doc_id": "n5", "text": make_edit(make_prose(11, 300), 0.01, 3).lower()},
        ]
    )
    result = outputs(v2, DedupConfig(verify=verify, exact_margin=0.3), tmp_path, committed)
    assert_same(result)
    output = result["out_of_core"]
    assert output.table.column("dedup_cluster").to_pylist() == [
        "p1", "p2", "p2", "n3", "n3", "p0", "p1"
    ]  # fmt: skip
    assert output.decision.reason.to_pylist() == [NEAR, EXACT, EXACT, None, NEAR, None, NEAR]
    details = json.loads(output.decision.details[0].as_py())
    assert details["kept_doc_id"] == "p1" and 0.8 <= details["similarity"] < 1.0
    assert output.artifacts["signatures"].column("doc_id").to_pylist() == ["n3", "p0"]
    assert output.artifacts["stats"]["matched_index"] == 4
    if verify == "exact":
        # n1's pair with the index document p1 was measured on p1's stored shingle set
        a = set(python_shingles(make_edit(make_prose(11, 300), 0.01, 3), 5))
        b = set(python_shingles(make_prose(11, 300), 5))
        assert details["similarity"] == round(len(a & b) / len(a | b), 4)
        assert "shingles" in output.artifacts["signatures"].column_names


def test_exact_verification_out_of_core_measures_true_jaccard(
    tmp_path, make_prose, make_edit, python_shingles
):
    base = make_prose(7, 500)
    revised = make_edit(base, 0.02, 9)
    table = documents([{"doc_id": "x", "text": base}, {"doc_id": "y", "text": revised}])
    pq.write_table(table.select(["doc_id", "text"]), tmp_path / "docs.parquet")
    cfg = DedupConfig(verify="exact", exact_margin=0.5)
    result = deduplicate_parquet(tmp_path / "docs.parquet", tmp_path / "work", cfg)
    a, b = set(python_shingles(base, 5)), set(python_shingles(revised, 5))
    similarity = pq.read_table(result.assignments).column("similarity")[1].as_py()
    assert similarity == len(a & b) / len(a | b)
    assert similarity != deduplicate(table, DedupConfig()).similarity[1].as_py()


def test_stage_contract_and_run_stage(tmp_path, corpus):
    stage = DedupStage(DedupConfig(engine="out_of_core"), work_dir=tmp_path)
    assert (stage.name, stage.scope) == (Stage.DEDUP, Scope.RUN)
    result = run_stage(stage, corpus, run_id="r1")
    assert result.table.num_rows == result.artifacts["stats"]["kept"] >= 6 + 8
    check = reconcile(result.ledger, corpus.column("doc_id"), result.table.column("doc_id"))
    assert check.ok, check.problems
    kept = set(result.table.column("doc_id").to_pylist())
    assert set(result.artifacts["signatures"].column("doc_id").to_pylist()) == kept


def test_auto_goes_out_of_core_above_either_threshold(corpus):
    rows, text = corpus.num_rows, sum(len(t.encode()) for t in corpus.column("text").to_pylist())
    cases = [
        ({}, "memory"),
        ({"out_of_core_above_rows": rows - 1}, "out_of_core"),
        ({"out_of_core_above_rows": rows}, "memory"),
        ({"out_of_core_above_bytes": text - 1}, "out_of_core"),
        ({"out_of_core_above_bytes": text}, "memory"),
        ({"engine": "out_of_core"}, "out_of_core"),
        ({"engine": "memory", "out_of_core_above_rows": 0}, "memory"),
    ]
    for mapping, expected in cases:
        stage = DedupStage(build_config(DedupConfig, mapping, "dedup"))
        engine, why = stage.engine_for(corpus)
        assert engine == expected, (mapping, why)
    small = DedupStage(DedupConfig(out_of_core_above_rows=3)).process(corpus.slice(0, 5))
    assert small.artifacts["stats"]["engine"] == "out_of_core"
    assert "dedup.out_of_core_above_rows" in small.artifacts["stats"]["engine_reason"]


@pytest.mark.parametrize("build", [True, False])
def test_engine_errors_name_the_key(build):
    with pytest.raises(SpecError) as error:
        if build:
            build_config(DedupConfig, {"engine": "gpu"}, "dedup")
        else:
            DedupConfig(engine="gpu")  # type: ignore[arg-type]
    assert error.value.key == "dedup.engine"
    message = str(error.value)
    assert "\n" not in message and message.startswith("dedup.engine: must be one of")
    assert "'out_of_core'" in message and "'gpu'" in message
    with pytest.raises(SpecError, match="dedup.out_of_core_above_bytes"):
        DedupConfig(out_of_core_above_bytes=-1)


def test_engines_agree_on_textless_documents(tmp_path):
    table = documents(
        [
            {"doc_id": "n1", "text": None},
            {"doc_id": "n2", "text": "!!!"},
            {"doc_id": "w", "text": "one"},
            {"doc_id": "w2", "text": "One."},
        ]
    )
    for cfg in (DedupConfig(), DedupConfig(exact=False), DedupConfig(verify="exact")):
        result = outputs(table, cfg, tmp_path)
        assert_same(result)
    assert result["out_of_core"].decision.decision.to_pylist() == [
        "kept", "dropped", "kept", "dropped"
    ]  # fmt: skip
