"""docker-compose.yaml: valid against the Compose specification and wired to the local emulator.

No Docker engine runs here, so the file is validated against the Compose JSON schema
(``compose-spec.json``, draft 2020-12, from compose-spec/compose-spec under the Apache License 2.0,
see ``compose-spec.LICENSE``; copied from the check-jsonschema 0.39.0 wheel, which vendors it as
``check_jsonschema/builtin_schemas/vendor/compose-spec.json``, sha256 d549057e...3ed10e64).
"""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from local_emr.__main__ import build_parser
from local_emr.paths import REPO_ROOT

SCHEMA = Path(__file__).with_name("compose-spec.json")
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-init")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text())


def test_file_follows_the_compose_specification(compose):
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(compose), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_rejects_what_compose_rejects():
    schema = json.loads(SCHEMA.read_text())
    broken = {"services": {"web": {"image": "x", "ports": "8080:8080", "restart_policy": "always"}}}
    assert len(list(jsonschema.Draft202012Validator(schema).iter_errors(broken))) >= 2


def test_airflow_services_run_locally_with_the_pinned_image(compose):
    services = compose["services"]
    assert set(AIRFLOW_SERVICES) | {"postgres", "local-emr"} <= set(services)
    assert not {"redis", "airflow-worker", "flower"} & set(services)
    common = compose["x-airflow-common"]
    env = common["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    api_url = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert api_url.hostname == "airflow-apiserver" and api_url.path == "/execution/"
    assert services["airflow-apiserver"]["ports"] == ["8080:8080"]
    dockerfile = common["build"]["dockerfile_inline"]
    assert dockerfile.splitlines()[0] == "FROM apache/airflow:3.3.2-python3.11"
    for service in AIRFLOW_SERVICES:
        assert services[service]["environment"].items() >= env.items(), service


def test_airflow_image_installs_the_pins_of_the_airflow_extra(compose):
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extra = project["optional-dependencies"]["airflow"]
    dockerfile = compose["x-airflow-common"]["build"]["dockerfile_inline"]
    installed = re.findall(r'"([^"]+)"', dockerfile)
    assert set(extra) <= set(installed)


def test_project_folders_are_mounted_where_the_dag_finds_them(compose):
    volumes = compose["x-airflow-common"]["volumes"]
    mounts = dict(v.split(":")[:2] for v in volumes)
    for folder in ("dags", "plugins", "spark_jobs", "bootstrap"):
        assert mounts[f"./{folder}"] == f"/opt/airflow/{folder}"
        assert (REPO_ROOT / folder).is_dir(), f"{folder}/ is mounted but missing from the repo"


def test_aws_connection_points_at_the_emulator_service(compose):
    connection = json.loads(compose["x-airflow-common"]["environment"]["AIRFLOW_CONN_AWS_DEFAULT"])
    assert connection["conn_type"] == "aws"
    assert connection["extra"]["region_name"] == "eu-west-3"
    endpoint = urlsplit(connection["extra"]["endpoint_url"])
    emulator = compose["services"]["local-emr"]
    command = build_parser().parse_args(emulator["command"][3:])
    assert (endpoint.hostname, endpoint.port) == ("local-emr", command.port)
    assert command.host == "0.0.0.0"
    assert emulator["ports"] == [f"{command.port}:{command.port}"]
    assert emulator["command"][:3] == ["python", "-m", "local_emr"]
    assert "./local_emr:/app/local_emr" in emulator["volumes"]
