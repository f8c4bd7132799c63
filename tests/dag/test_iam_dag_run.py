"""The Airflow role's policy (docs/iam/airflow-role.json) allows every AWS call a real ``dag.test()`` run
makes against moto: residency check, planning, artefacts, security configuration, cluster creation,
steps, the sensors' log reads and the teardown (validate, publish and cleanup:
tests/outputs/test_iam_outputs.py)."""
from __future__ import annotations

from tests.dag.dag_test_env import BUCKET, REGION
from tests.dag.test_dag_run import failing_featurize_step, photos, run  # noqa: F401 (fixtures)
from tests.iam_policies import ACCOUNT_ID, load_policy, recorded_calls, request_of, uncovered

VALUES = {"BUCKET": BUCKET, "INPUT_PREFIX": "fruits/images", "OUTPUT_PREFIX": "fruits/features",
          "REGION": REGION, "ACCOUNT_ID": ACCOUNT_ID, "DEPLOYMENT_ID": "default",
          "SERVICE_ROLE": "EMR_DefaultRole", "INSTANCE_PROFILE": "EMR_EC2_DefaultRole"}


def test_the_airflow_role_allows_every_call_of_a_dag_run(dag, airflow_db, photos, emr_client,  # noqa: F811
                                                         failing_featurize_step, monkeypatch):  # noqa: F811
    with recorded_calls(monkeypatch) as calls:
        dag_run, states, _ = run(dag, k=2)
    assert states["create_cluster"] == states["terminate_cluster"] == "success"
    operations = {call.operation for call in calls}
    assert {"GetBucketLocation", "ListObjectsV2", "PutObject", "RunJobFlow", "CreateSecurityConfiguration",
            "AddJobFlowSteps", "DescribeStep", "TerminateJobFlows"} <= operations
    tags = {summary["Id"]: {t["Key"]: t["Value"] for t in
                            emr_client.describe_cluster(ClusterId=summary["Id"])["Cluster"]["Tags"]}
            for summary in emr_client.list_clusters()["Clusters"]}
    requests = [request for call in calls for request in request_of(call, REGION, tags)]
    policy = load_policy("airflow-role.json", {**VALUES, "KMS_KEY_ID": "unused"})
    assert uncovered(policy, requests) == []
