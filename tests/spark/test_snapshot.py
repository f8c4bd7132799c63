"""The PCA step on a snapshot (--snapshot-plan) in local Spark: earlier partitions' statistics reused,
this run's partition built (new rows + rows carried from partitions that lost images), one basis for all
rows, equal to numpy's PCA of exactly the snapshot's rows."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from pca_reference import assert_same_pca
from test_pca import read_table

from fruits_emr.catalogue import FEATURIZED, Entry, to_table
from fruits_spark.covariance import FeatureStats
from fruits_spark.errors import JobInputError
from fruits_spark.pca_job import PcaArgs, load_model, run_pca
from fruits_spark.pca_storage import UNIT_ROUNDOFF
from fruits_spark.snapshot import FEATURES_SCHEMA

DIM, K = 1280, 3


def _rows(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(0).normal(size=(4, DIM))
    return ((rng.normal(size=(n, 4)) * [6.0, 4.0, 2.0, 1.0]) @ basis + rng.normal(scale=0.05, size=(n, DIM))
            ).astype(np.float32)


def _write_rows(spark, folder: Path, rows: dict[str, np.ndarray]) -> None:
    data = [(path, path.split("/")[-2], list(map(float, vector)), "abc") for path, vector in rows.items()]
    spark.createDataFrame(data, FEATURES_SCHEMA).coalesce(1).write.mode("overwrite").parquet(str(folder))


class Pipeline:
    """A folder standing for the output prefix; ``run`` writes a night's features, then runs the PCA step
    on a plan built the way the plan task builds it (kept / carried partitions, plan catalogue)."""

    def __init__(self, spark, root: Path):
        self.spark, self.root = spark, root
        self.rows: dict[str, np.ndarray] = {}  # path -> features: what the snapshot must hold now
        self.partitions: dict[str, tuple[dict, set[str]]] = {}  # run key -> (report entry, its paths)

    def run_dir(self, key: str) -> Path:
        return self.root / "runs" / key

    def run(self, key: str, new: dict[str, np.ndarray], drop: set[str]) -> dict:
        run = self.run_dir(key)
        _write_rows(self.spark, run / "features", new)
        affected = {k for k, (_, paths) in self.partitions.items() if paths & drop}
        carried = {path for k in affected for path in self.partitions[k][1]} - drop
        pq.write_table(to_table(Entry(path, "e", 1, FEATURIZED, key) for path in carried),
                       run / "plan_catalogue.parquet")
        plan = {"version": 1, "run_key": key, "k": K, "plan_catalogue": str(run / "plan_catalogue.parquet"),
                "kept_partitions": [self._entry(k) for k in self.partitions if k not in affected],
                "carried_from": [self._entry(k) for k in affected],
                "new_partition": {"run_key": key, "dirs": [str(run / "features"), str(run / "carried")],
                                  "stats_uri": str(run / "partition_stats.npz"), "rows": 0}}
        (run / "snapshot_plan.json").write_text(json.dumps(plan))
        report = run_pca(self.spark, PcaArgs(input=None, output=str(run / "pca"), k=K,
                                             snapshot_plan=str(run / "snapshot_plan.json")))
        for path in drop:
            del self.rows[path]
        self.rows.update(new)
        new_paths = set(new) | carried
        self.partitions = {
            p["run_key"]: (p, new_paths if p["run_key"] == key else self.partitions[p["run_key"]][1])
            for p in report["partitions"]
        }
        return report

    def _entry(self, key: str) -> dict:
        return {name: self.partitions[key][0][name] for name in ("run_key", "dirs", "stats_uri", "rows")}


def _named(prefix: str, matrix: np.ndarray) -> dict[str, np.ndarray]:
    return {f"file:/in/{prefix}/{i}.jpg": row for i, row in enumerate(matrix)}  # label = prefix


def _assert_snapshot_pca(pipeline: Pipeline, key: str) -> None:
    run = pipeline.run_dir(key)
    paths, projection = read_table(pipeline.spark, str(run / "pca"))
    assert sorted(paths) == sorted(pipeline.rows)  # every current image exactly once, erased ones gone
    rows = np.stack([pipeline.rows[path] for path in paths])
    model = load_model(pipeline.spark, str(run / "pca_model"))
    assert_same_pca(model.explained_variance_ratio, model.total_variance, model.components, projection, rows)
    # one basis for every row (the stored values are rounded to UNIT_ROUNDOFF of themselves)
    np.testing.assert_allclose(projection, model.project(rows), rtol=UNIT_ROUNDOFF, atol=1e-3)


@pytest.fixture(scope="module")
def pipeline(spark, tmp_path_factory) -> Pipeline:
    return Pipeline(spark, tmp_path_factory.mktemp("snapshot"))


def test_three_nights_reuse_statistics_carry_rows_and_fit_one_basis(pipeline):
    first = pipeline.run("r1", _named("a", _rows(1, 30)), drop=set())
    assert [(p["run_key"], p["rows"], p["statistics"]) for p in first["partitions"]] == [
        ("r1", 30, "computed")
    ]
    _assert_snapshot_pca(pipeline, "r1")

    second = pipeline.run("r2", _named("b", _rows(2, 5)), drop=set())  # fewer new images than... fine
    assert [(p["run_key"], p["rows"], p["statistics"]) for p in second["partitions"]] == [
        ("r2", 5, "computed"), ("r1", 30, "reused")]
    _assert_snapshot_pca(pipeline, "r2")
    stats = FeatureStats.from_bytes((pipeline.run_dir("r2") / "partition_stats.npz").read_bytes())
    assert stats.count == 5

    erased = {"file:/in/a/0.jpg", "file:/in/a/7.jpg"}  # two images of night 1 deleted, nothing new
    third = pipeline.run("r3", {}, drop=erased)
    assert [(p["run_key"], p["rows"], p["statistics"]) for p in third["partitions"]] == [
        ("r3", 28, "computed"),
        ("r2", 5, "reused"),
    ]
    carried = {
        row.path for row in pipeline.spark.read.parquet(str(pipeline.run_dir("r3") / "carried")).collect()
    }
    assert len(carried) == 28 and not carried & erased
    _assert_snapshot_pca(pipeline, "r3")
    assert third["images"] == 33


def test_statistics_that_do_not_match_the_partition_are_refused(pipeline, spark, tmp_path):
    plan = json.loads((pipeline.run_dir("r3") / "snapshot_plan.json").read_text())
    plan["kept_partitions"] = [{**plan["kept_partitions"][0], "rows": 999}]
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    with pytest.raises(JobInputError, match="statistics count 5 rows"):
        run_pca(
            spark,
            PcaArgs(input=None, output=str(tmp_path / "pca"), k=K, snapshot_plan=str(tmp_path / "plan.json")),
        )
