"""The trigger form's Params: documented, typed, bounded; Airflow rejects bad values."""
from __future__ import annotations

import pytest
from airflow.sdk import Param
from airflow.sdk.definitions.param import ParamsDict

from fruits_emr.params import dag_params

EXPECTED = {"input_prefix", "output_prefix", "max_images", "k", "backend", "core_instance_count", "use_spot",
            "budget_eur", "min_explained_variance", "dry_run", "full_reprocess", "publish"}
SWITCHES = {"use_spot", "dry_run", "full_reprocess", "publish"}


def test_form_has_every_param_with_title_description_and_type():
    params = dag_params()
    assert set(params) == EXPECTED
    for name, param in params.items():
        assert isinstance(param, Param)
        assert param.schema.get("title") and param.description, name
        expected_type = ["boolean", "null"] if name in SWITCHES else param.schema.get("type")
        assert param.schema.get("type") == expected_type, name
        assert expected_type in ("string", "integer", "number", ["boolean", "null"]), name


def test_form_marks_only_values_as_required_not_switches():
    # Airflow's form puts a "required" asterisk on every field whose type does not allow null
    # (isParamRequired in its UI): a switch is always on or off, so it must not get one.
    for name, param in dag_params().items():
        required = "null" not in param.schema["type"]
        assert required is (name not in SWITCHES), name


@pytest.mark.parametrize("name, described_range", [
    ("k", "1 to 1280"), ("core_instance_count", "1 to 20"), ("max_images", "1 to 200,000"),
    ("budget_eur", "0.01 to 1000 EUR"), ("input_prefix", "no s3://, no bucket name"),
    ("output_prefix", "no s3://, no bucket name"),
])
def test_descriptions_give_the_allowed_range_or_format(name, described_range):
    assert described_range in dag_params()[name].description


def test_number_fields_have_a_minimum_the_form_can_clamp_to():
    # The form's number field turns a typed "-" into an empty field ("This field is required") unless
    # the schema has a `minimum`, which it then clamps to: every number Param has one.
    for name, param in dag_params().items():
        if param.schema["type"] in ("integer", "number"):
            assert "minimum" in param.schema and "exclusiveMinimum" not in param.schema, name


def test_defaults_pass_their_own_schema():
    ParamsDict(dag_params()).validate()


@pytest.mark.parametrize(
    "name, bad",
    [("k", 0), ("k", 1281), ("k", "50"), ("max_images", 0), ("core_instance_count", 21),
     ("budget_eur", 0), ("budget_eur", -1), ("min_explained_variance", 1.2), ("use_spot", "yes"),
     ("input_prefix", "has space"), ("output_prefix", "/leading"), ("dry_run", 1), ("backend", "onnx")],
)
def test_bad_values_are_rejected(name, bad):
    params = ParamsDict(dag_params())
    with pytest.raises(Exception, match=name):
        params[name] = bad
        params.validate()
