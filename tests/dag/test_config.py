"""Run configuration: Params + environment merged and validated before any AWS call."""
from __future__ import annotations

import pytest

from fruits_emr.config import (
    DEFAULT_REGION,
    ConfigError,
    EnvDefaults,
    RunConfig,
    connection_region,
    load_config,
)
from fruits_emr.params import dag_params

ENV = EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "fruits-bucket"})


def default_params(**overrides) -> dict:
    return {**{name: p.value for name, p in dag_params().items()}, **overrides}


def test_defaults_make_a_valid_config():
    cfg = load_config(default_params(), "eu-west-3", ENV)
    assert cfg.region == "eu-west-3" and cfg.bucket == "fruits-bucket"
    assert cfg.weights == "imagenet" and cfg.k == 50 and cfg.budget_eur == 10.0
    assert cfg.input_uri == "s3://fruits-bucket/fruits/images/"
    assert RunConfig.from_dict(cfg.to_dict()) == cfg


def test_missing_region_falls_back_to_paris():
    assert load_config(default_params(), None, ENV).region == DEFAULT_REGION == "eu-west-3"


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-2", "eu-central-2", "ap-south-1", "eu-west-9"])
def test_non_eu_region_is_refused(region):
    with pytest.raises(ConfigError, match=f"region '{region}' is not an EU region"):
        load_config(default_params(), region, ENV)


def test_every_problem_is_listed_at_once():
    params = default_params(k=0, max_images=0, budget_eur=0, min_explained_variance=1.5,
                            output_prefix="fruits/images", core_instance_count=0)
    with pytest.raises(ConfigError) as err:
        load_config(params, "eu-west-1", EnvDefaults.from_env({}))
    message = str(err.value)
    for expected in ("bucket ''", "k must be between 1 and 1280", "max_images must be between",
                     "budget_eur must be > 0", "min_explained_variance must be in (0, 1]",
                     "input_prefix and output_prefix must differ", "core_instance_count must be between"):
        assert expected in message


@pytest.mark.parametrize("prefix", ["", "/", "a//b", "bad prefix"])
def test_bad_prefixes_are_refused(prefix):
    with pytest.raises(ConfigError, match="input_prefix"):
        load_config(default_params(input_prefix=prefix), "eu-west-3", ENV)


def test_weights_must_be_imagenet_s3_or_an_existing_file(tmp_path):
    weights = tmp_path / "w.weights.h5"
    weights.write_bytes(b"x")
    for ok in ("imagenet", "s3://b/models/w.h5", str(weights)):
        env = EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_WEIGHTS": ok})
        assert load_config(default_params(), "eu-west-3", env).weights == ok
    env = EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_WEIGHTS": "/nope.h5"})
    with pytest.raises(ConfigError, match="FRUITS_EMR_WEIGHTS"):
        load_config(default_params(), "eu-west-3", env)


def test_incomplete_job_bundle_is_refused(tmp_path):
    (tmp_path / "pca.py").write_text("print('pca')\n")
    env = EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_JOB_BUNDLE": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"lacks install-deps.sh, .* \(set FRUITS_EMR_JOB_BUNDLE"):
        load_config(default_params(), "eu-west-3", env)


def test_unknown_instance_type_is_refused():
    env = EnvDefaults.from_env(
        {"FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_CORE_INSTANCE_TYPE": "p5.48xlarge"}
    )
    with pytest.raises(ConfigError, match="'p5.48xlarge' is not a known instance type"):
        load_config(default_params(), "eu-west-3", env)


def test_wrong_types_and_missing_params_are_clear():
    with pytest.raises(ConfigError, match="wrong type"):
        load_config(default_params(k="fifty"), "eu-west-3", ENV)
    params = default_params()
    del params["k"]
    with pytest.raises(ConfigError, match="missing parameter 'k'"):
        load_config(params, "eu-west-3", ENV)


def test_env_defaults_read_the_fruits_emr_variables():
    env = EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "b-1", "FRUITS_EMR_WEIGHTS": "s3://b/w.h5",
                                "FRUITS_EMR_POKE_INTERVAL": "2.5"})
    assert (env.bucket, env.weights, env.poke_interval_s) == ("b-1", "s3://b/w.h5", 2.5)


@pytest.mark.parametrize("region", ["us-west-2", "eu-north-1"])
def test_connection_region_comes_from_the_airflow_connection(monkeypatch, region):
    from tests.dag.dag_test_env import aws_connection

    # an endpoint nobody listens on: reading the region must not need it
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", aws_connection("http://127.0.0.1:9", region))
    assert connection_region() == region


@pytest.mark.parametrize("input_prefix, output_prefix",
                         [("fruits", "fruits/features"), ("fruits/raw/x", "fruits/raw")])
def test_nested_input_and_output_prefixes_are_refused_before_any_aws_call(input_prefix, output_prefix):
    with pytest.raises(ConfigError, match="neither may contain the other"):
        load_config(default_params(input_prefix=input_prefix, output_prefix=output_prefix), "eu-west-3", ENV)


PREFIXES = {
    "fruits/raw": True, "fruits/raw/": True, "v1.2/a...b/x": True, "it's(1)/a_b-c!": True,
    ".": False, "..": False, "a/./b": False, "a/../b": False, "a/..": False, "./a": False,
    "a/*": False, "a?": False, "a/[ab]": False, "{a,b}/c": False, "a//b": False, "/a": False, "": False,
}


@pytest.mark.parametrize("prefix, valid", PREFIXES.items())
def test_the_form_and_check_config_apply_one_prefix_rule(prefix, valid):
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    form = ParamsDict(dag_params())
    try:
        form["input_prefix"] = prefix
        form.validate()
        form_accepts = True
    except ParamValidationError:
        form_accepts = False
    try:
        load_config(default_params(input_prefix=prefix), "eu-west-3", ENV)
        config_accepts = True
    except ConfigError as refused:
        assert "input_prefix" in str(refused)
        config_accepts = False
    assert form_accepts == config_accepts == valid


def test_overlap_is_judged_on_normalised_prefixes():
    with pytest.raises(ConfigError) as refused:
        load_config(
            default_params(input_prefix="fruits/x/../features/images", output_prefix="fruits/features"),
            "eu-west-3",
            ENV,
        )
    assert "'..' segment" in str(refused.value)
    assert "input_prefix and output_prefix must differ" in str(refused.value)


def test_full_explained_variance_needs_every_component():
    with pytest.raises(ConfigError, match="min_explained_variance 1.0 cannot be reached with k=50"):
        load_config(default_params(min_explained_variance=1.0), "eu-west-3", ENV)
    assert load_config(default_params(min_explained_variance=1.0, k=1280), "eu-west-3", ENV).k == 1280
    assert load_config(default_params(min_explained_variance=0.99, k=50), "eu-west-3", ENV).k == 50


def test_deployment_id_defaults_and_is_checked():
    assert load_config(default_params(), "eu-west-3", ENV).deployment_id == "default"
    env = EnvDefaults.from_env(
        {"FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_DEPLOYMENT_ID": "staging-2"}
    )
    assert load_config(default_params(), "eu-west-3", env).deployment_id == "staging-2"
    for bad in ("", "Prod", "a_b", "-x", "x" * 33):
        env = EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_DEPLOYMENT_ID": bad})
        with pytest.raises(ConfigError, match="FRUITS_EMR_DEPLOYMENT_ID"):
            load_config(default_params(), "eu-west-3", env)


def test_security_settings_are_read_and_checked():
    env = EnvDefaults.from_env({
        "FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_SUBNET_IDS": "subnet-0a1b2c3d, subnet-0a1b2c3e",
        "FRUITS_EMR_ADDITIONAL_SECURITY_GROUPS": "sg-0123abcd", "FRUITS_EMR_KMS_KEY": "alias/fruits",
        "FRUITS_EMR_INSTANCE_PROFILE": "fruits-emr-instance",
    })
    cfg = load_config(default_params(), "eu-west-3", env)
    assert cfg.security.subnet_ids == ("subnet-0a1b2c3d", "subnet-0a1b2c3e")
    assert cfg.security.service_role == "EMR_DefaultRole"
    assert cfg.security.instance_profile == "fruits-emr-instance"
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    bad = EnvDefaults.from_env({
        "FRUITS_EMR_BUCKET": "fruits-bucket", "FRUITS_EMR_SUBNET_IDS": "vpc-1",
        "FRUITS_EMR_ADDITIONAL_SECURITY_GROUPS": "default", "FRUITS_EMR_TLS_CERTIFICATES": "/etc/certs.zip",
        "FRUITS_EMR_WHEELHOUSE": "https://pypi.org/simple",
    })
    with pytest.raises(ConfigError) as refused:
        load_config(default_params(), "eu-west-3", bad)
    for expected in ("'vpc-1' is not a subnet id", "'default' is not a security group id",
                     "FRUITS_EMR_TLS_CERTIFICATES '/etc/certs.zip' must be an s3:// URI",
                     "FRUITS_EMR_WHEELHOUSE 'https://pypi.org/simple' must be an s3:// URI"):
        assert expected in str(refused.value)


def test_the_backend_defaults_to_tflite_and_an_unknown_one_is_refused():
    assert load_config(default_params(), "eu-west-3", ENV).backend == "tflite"
    with pytest.raises(ConfigError, match="backend must be one of tflite, keras, got 'onnx'"):
        load_config(default_params(backend="onnx"), "eu-west-3", ENV)
