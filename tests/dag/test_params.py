"""The trigger form's Params: documented, typed, bounded; Airflow rejects bad values."""
from __future__ import annotations

import pytest
from airflow.sdk import Param
from airflow.sdk.definitions.param import ParamsDict

from fruits_emr.params import dag_params

EXPECTED = {"input_prefix", "output_prefix", "max_images", "k", "core_instance_count", "use_spot",
            "budget_eur", "min_explained_variance", "dry_run", "full_reprocess"}


def test_form_has_every_param_with_title_description_and_type():
    params = dag_params()
    assert set(params) == EXPECTED
    for name, param in params.items():
        assert isinstance(param, Param)
        assert param.schema.get("title") and param.description, name
        assert param.schema.get("type") in {"string", "integer", "number", "boolean"}, name


def test_defaults_pass_their_own_schema():
    ParamsDict(dag_params()).validate()


@pytest.mark.parametrize(
    "name, bad",
    [("k", 0), ("k", 1281), ("k", "50"), ("max_images", 0), ("core_instance_count", 21),
     ("budget_eur", 0), ("budget_eur", -1), ("min_explained_variance", 1.2), ("use_spot", "yes"),
     ("input_prefix", "has space"), ("output_prefix", "/leading"), ("dry_run", 1)],
)
def test_bad_values_are_rejected(name, bad):
    params = ParamsDict(dag_params())
    with pytest.raises(Exception, match=name):
        params[name] = bad
        params.validate()
