"""The Airflow role's policy (docs/iam/airflow-role.json) allows every S3 call of validate, publish and
cleanup against moto (the rest of a run: tests/dag/test_iam_dag_run.py)."""
from __future__ import annotations

from fruits_emr.encryption import encrypted_s3_hook
from fruits_emr.publish import publish_run
from fruits_emr.retention import apply_retention
from fruits_emr.validation import validate_run
from tests.iam_policies import ACCOUNT_ID, load_policy, recorded_calls, request_of, uncovered
from tests.outputs.run_outputs import BUCKET, INPUT_PREFIX, OUTPUT_PREFIX, REGION, RUN_ID, K, consistent_run

VALUES = {"BUCKET": BUCKET, "INPUT_PREFIX": INPUT_PREFIX, "OUTPUT_PREFIX": OUTPUT_PREFIX,
          "REGION": REGION, "ACCOUNT_ID": ACCOUNT_ID, "DEPLOYMENT_ID": "default",
          "SERVICE_ROLE": "EMR_DefaultRole", "INSTANCE_PROFILE": "EMR_EC2_DefaultRole", "KMS_KEY_ID": "k"}


def test_validate_publish_and_cleanup_stay_inside_the_airflow_role(s3_hook, layout, monkeypatch):
    run = consistent_run()
    run.upload(s3_hook, layout)  # what the cluster wrote
    hook = encrypted_s3_hook(None, "", region_name=REGION)
    with recorded_calls(monkeypatch) as calls:
        validate_run(hook, layout, expected_images=len(run.inputs), k=K, min_explained_variance=0.8)
        publish_run(hook, layout, RUN_ID)
        apply_retention(hook, layout, retention_days=30)
    assert {"PutObject", "GetObject", "ListObjectsV2"} <= {call.operation for call in calls}
    requests = [request for call in calls for request in request_of(call, REGION, {})]
    assert uncovered(load_policy("airflow-role.json", VALUES), requests) == []
