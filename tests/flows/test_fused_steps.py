"""Adjacent per-batch steps fused into one task: each step still stages its own output and
ledger part, a rerun skips the steps a batch finished, and the stages' seconds are shared
honestly among the fused stages."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from curation.pipeline import finished_batches, ingest_to_staging
from curation.runs import RunPaths
from curation.spec import load_spec
from curation.stage import Stage
from flows.curate_flow import APPLY, SKETCH, StageClock, chunks, run_batch_steps, step_stage

TEXT = (
    "The quarterly maintenance window moves to the first Saturday of each month. Teams that "
    "deploy on Fridays should plan their releases around it and tell the service desk early. "
    "Questions about {topic} go to the facilities team, who answer within two working days."
)


@pytest.fixture
def staged(tmp_path):
    """A spec and one staged ingest batch of a few documents (one a copy, one junk)."""
    topics = ("backups", "badges", "laptops", "parking", "printers")
    rows = [{"id": f"doc-{n}", "text": TEXT.format(topic=t)} for n, t in enumerate(topics)]
    rows += [{"id": "copy", "text": rows[0]["text"]}, {"id": "junk", "text": "Home | About"}]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(
        "name: fused\nsources:\n"
        "  - {id: main, type: jsonl, path: docs.jsonl, id_field: id, license: CC0-1.0}\n"
        "pii: {ner: false}\n",
        encoding="utf-8",
    )
    spec = load_spec(spec_path)
    paths = RunPaths(tmp_path / "run").ensure()
    (batch,) = ingest_to_staging(
        spec.sources[0], run_id="r1", paths=paths, batch_size=64, workers=1
    )
    return spec, paths, batch


def test_fused_steps_stage_each_output_and_ledger_part(staged):
    spec, paths, batch = staged

    result = run_batch_steps((Stage.LICENSE, Stage.QUALITY, SKETCH), batch, spec, "r1", paths)

    assert result.output == paths.documents / "quality-main-00000.parquet"
    assert result.outputs[Stage.LICENSE] == paths.documents / "license-main-00000.parquet"
    # the sketch reads the batch and leaves its documents as they are
    assert result.outputs[SKETCH] == result.output
    assert result.sketch is not None and pq.read_metadata(result.sketch).num_rows > 0
    for stage in (Stage.LICENSE, Stage.QUALITY):
        assert (paths.ledger / f"{stage}-main-00000.parquet").exists()
        assert finished_batches(stage, [batch], paths) == 1
    assert set(result.seconds) == {"license", "quality", "dedup"}
    assert pq.read_metadata(result.output).num_rows < pq.read_metadata(batch).num_rows


def test_a_rerun_skips_the_steps_a_batch_finished(staged):
    spec, paths, batch = staged
    first = run_batch_steps((Stage.LICENSE,), batch, spec, "r1", paths)
    written = first.output.stat().st_mtime_ns

    # as a resumed run would: the license step is finished, quality is not
    result = run_batch_steps((Stage.LICENSE, Stage.QUALITY), batch, spec, "r1", paths)

    assert result.outputs[Stage.LICENSE].stat().st_mtime_ns == written
    assert finished_batches(Stage.QUALITY, [batch], paths) == 1


def test_applying_dedup_needs_the_decisions(staged):
    spec, paths, batch = staged

    with pytest.raises(ValueError, match="decisions"):
        run_batch_steps((APPLY, Stage.PII), batch, spec, "r1", paths)


def test_dedup_steps_count_as_the_dedup_stage():
    assert step_stage(SKETCH) == step_stage(APPLY) == "dedup"
    assert step_stage(Stage.PII) == "pii"


def test_fused_wall_time_is_shared_by_each_stage_s_work():
    clock = StageClock({"license": 1.0})

    clock.share(10.0, {"license": 1.0, "quality": 3.0, "dedup": 1.0}, ["license", "quality"])

    assert clock.seconds == pytest.approx({"license": 3.5, "quality": 7.5})
    assert sum(clock.seconds.values()) == pytest.approx(1.0 + 10.0)


def test_fused_wall_time_without_measured_work_is_split_evenly():
    clock = StageClock()

    clock.share(4.0, {}, ["dedup", "pii"])

    assert clock.seconds == {"dedup": 2.0, "pii": 2.0}


@pytest.mark.parametrize(
    ("n", "workers"), [(0, 2), (2, 2), (3, 2), (20, 16), (80, 2), (81, 2), (80, 1), (196, 16)]
)
def test_batches_go_out_in_consecutive_chunks_that_shrink(n, workers):
    batches = list(range(n))

    result = chunks(batches, workers)

    sizes = [len(chunk) for chunk in result]
    assert [b for chunk in result for b in chunk] == batches
    assert sizes == sorted(sizes, reverse=True)
    # the first chunks take a share of a worker's batches, the last ones a batch or two, so
    # the workers finish together; the number of task runs grows with the log of the batches
    assert not sizes or sizes[0] <= max(2, -(-n // (2 * workers)))
    assert not sizes or sizes[-1] <= 2
    assert len(result) <= max(1, 2 * workers * (1 + n.bit_length()))
    # every worker gets a task when there are batches enough for each
    assert len(result) >= min(n, workers)


def test_a_run_without_batches_starts_no_stage(staged, tmp_path, monkeypatch):
    from catalogs.registry import CatalogSettings
    from curation.config import fingerprint
    from curation.pii import engine
    from curation.workspace import Workspace
    from flows.curate_flow import run_stages

    spec, paths, batch = staged
    before = set(paths.documents.rglob("*")) | set(paths.ledger.rglob("*"))
    settings = CatalogSettings.for_workspace(Workspace(tmp_path / "workspace"))
    clock = StageClock()
    # engines built by earlier tests in this process are out of the way
    monkeypatch.setattr(engine, "_CACHE", {})

    # as after an incremental carry that left nothing to run
    result = run_stages([], spec, "r1", paths, settings, None, clock)

    assert result == ([], None)
    assert set(paths.documents.rglob("*")) | set(paths.ledger.rglob("*")) == before
    assert clock.volume == dict.fromkeys(["license", "quality", "dedup", "pii"], 0)
    assert not any(key[0] == fingerprint(spec.pii) for key in engine._CACHE)
