"""docs/iam/: the matcher's IAM semantics, what the policies refuse, and the instance profile covers every
S3 location the cluster's bootstrap, steps and log pusher use (the Airflow role is checked against recorded
calls in tests/dag and tests/outputs)."""
from __future__ import annotations

import pytest

from fruits_emr.artifacts import Artifacts
from fruits_emr.config import EnvDefaults, load_config
from fruits_emr.job_flow import build_job_flow
from fruits_emr.params import dag_params
from fruits_emr.spark_sizing import size_executors
from fruits_emr.steps import build_steps
from tests.iam_policies import ACCOUNT_ID, Request, allows, load_policy, policy_files, uncovered

BUCKET, REGION, DEPLOYMENT = "fruits-bucket", "eu-west-3", "default"
VALUES = {"BUCKET": BUCKET, "INPUT_PREFIX": "fruits/images", "OUTPUT_PREFIX": "fruits/features",
          "REGION": REGION, "ACCOUNT_ID": ACCOUNT_ID, "DEPLOYMENT_ID": DEPLOYMENT,
          "SERVICE_ROLE": "EMR_DefaultRole", "INSTANCE_PROFILE": "EMR_EC2_DefaultRole",
          "KMS_KEY_ID": "1234abcd-12ab-34cd-56ef-1234567890ab"}
AIRFLOW, INSTANCE = load_policy("airflow-role.json", VALUES), load_policy("instance-profile.json", VALUES)
OBJECT = f"arn:aws:s3:::{BUCKET}/"
CLUSTERS = f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT_ID}:cluster/"
WRITE_OPTIONS = {"--output", "--quarantine", "--report", "--model-output"}


def test_every_policy_fills_in_and_scopes_every_s3_statement():
    for path in policy_files():
        policy = load_policy(path.name, VALUES)
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert "*" not in actions and not any(a.endswith(":*") for a in actions), path.name
            if any(a.startswith("s3:") for a in actions):
                assert statement["Resource"] != "*", (path.name, statement["Sid"])


@pytest.mark.parametrize("request_, allowed", [
    (Request("s3:GetObject", OBJECT + "fruits/images/apple/1.jpg"), True),
    (Request("S3:getobject", OBJECT + "fruits/images/a?b[1].jpg"), True),  # actions ignore case
    (Request("s3:PutObject", OBJECT + "fruits/images/apple/1.jpg"), False),  # never writes the input
    (Request("s3:GetObject", OBJECT + "fruits/imagesX/1.jpg"), False),
    (Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": "fruits/features/runs/"}), True),
    (Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": ""}), False),
    (Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}"), False),  # no prefix: no match
    (Request("elasticmapreduce:RunJobFlow", CLUSTERS + "*",
             {"aws:RequestTag/project": "fruits-emr", "aws:RequestTag/fruits-emr:deployment-id": DEPLOYMENT}),
     True),
    (Request("elasticmapreduce:RunJobFlow", CLUSTERS + "*",
             {"aws:RequestTag/project": "fruits-emr", "aws:RequestTag/fruits-emr:deployment-id": "staging"}),
     False),
    (Request("elasticmapreduce:TerminateJobFlows", CLUSTERS + "j-1",
             {"elasticmapreduce:ResourceTag/fruits-emr:deployment-id": DEPLOYMENT}), True),
    (Request("elasticmapreduce:TerminateJobFlows", CLUSTERS + "j-1", {}), False),  # someone else's cluster
    (Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT_ID}:role/EMR_EC2_DefaultRole"), True),
    (Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT_ID}:role/Admin"), False),
])
def test_the_airflow_role_allows_only_its_own_prefixes_clusters_and_roles(request_, allowed):
    assert allows(AIRFLOW, request_) is allowed


def test_the_instance_profile_cannot_publish_nor_touch_the_inputs():
    for refused in (Request("s3:PutObject", OBJECT + "fruits/features/latest.json"),
                    Request("s3:PutObject", OBJECT + "fruits/features/artifacts/aa/install-deps.sh"),
                    Request("s3:DeleteObject", OBJECT + "fruits/images/apple/1.jpg"),
                    Request("elasticmapreduce:RunJobFlow", CLUSTERS + "*")):
        assert not allows(INSTANCE, refused), refused


def cluster_requests() -> list[Request]:
    """What the cluster reads and writes in S3 for one run, from the job flow and the steps themselves."""
    params = {**{n: p.value for n, p in dag_params().items()}}
    cfg = load_config(params, REGION, EnvDefaults.from_env({"FRUITS_EMR_BUCKET": BUCKET}))
    layout = cfg.layout("manual__2026-11-30T01:30:00+00:00")
    artifacts = Artifacts(**{name: f"{layout.artifacts_uri}/0123456789abcdef/{name}.bin" for name in
                             ("bootstrap", "requirements", "featurize", "pca", "spark_lib", "weights")},
                          uploaded=())
    sizing = size_executors(cfg.core_instance_type, cfg.core_instance_count)
    flow = build_job_flow(cfg, layout, artifacts, sizing, "fruits_features", "r", "sec")
    action = flow["BootstrapActions"][0]["ScriptBootstrapAction"]
    reads = [action["Path"], *action["Args"]]
    writes = [flow["LogUri"] + "j-1/steps/s-1/stderr.gz"]  # EMR's log pusher runs as the instance profile
    for step in build_steps(cfg, layout, artifacts, sizing):
        args = step["HadoopJarStep"]["Args"]
        for option, value in zip(args, args[1:]):
            if value.startswith("s3://"):
                (writes if option in WRITE_OPTIONS else reads).append(value)
    reads.append(f"{layout.runs_uri}/an-earlier-run/features/part-00000.parquet")  # reused partitions
    as_key = lambda uri: uri.removeprefix(f"s3://{BUCKET}/")  # noqa: E731
    requests = [Request("s3:GetObject", OBJECT + as_key(uri) + ("x.jpg" if uri.endswith("/") else ""))
                for uri in reads]
    requests += [Request("s3:PutObject", OBJECT + as_key(uri) + "/part-00000.parquet") for uri in writes]
    # Spark's commit protocol deletes its temporary files under the outputs
    requests += [Request("s3:DeleteObject", OBJECT + as_key(uri) + "/_temporary/0/part-00000.parquet")
                 for uri in writes if uri.startswith(layout.run_uri)]
    requests += [Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": as_key(prefix)})
                 for prefix in (cfg.input_uri, layout.run_uri + "/", layout.runs_uri + "/")]
    return requests


def test_the_instance_profile_covers_everything_the_cluster_reads_and_writes():
    requests = cluster_requests()
    assert len(requests) > 15
    assert uncovered(INSTANCE, requests) == []
