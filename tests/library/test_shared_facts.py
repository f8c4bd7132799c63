"""Facts the Airflow side repeats from the Spark jobs (it cannot import them on a worker) stay equal."""
from __future__ import annotations

from fruits_emr import config
from fruits_spark import mobilenet, weights


def test_weights_word_for_keras_imagenet_download_is_the_jobs():
    assert config.WEIGHTS_IMAGENET == weights.IMAGENET


def test_largest_k_is_the_feature_dimension():
    assert config.K_MAX == mobilenet.FEATURE_DIM


def test_snapshot_plan_contract_is_the_same_on_both_sides():
    from fruits_emr import catalogue, incremental
    from fruits_spark import snapshot

    assert incremental.SNAPSHOT_PLAN_VERSION == snapshot.SNAPSHOT_PLAN_VERSION
    assert catalogue.FEATURIZED == snapshot.FEATURIZED
