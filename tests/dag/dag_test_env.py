"""What the DAG tests share besides fixtures: the DAG file, the test bucket and region, the AWS connection."""
from __future__ import annotations

import json

from local_emr.paths import REPO_ROOT

DAG_FILE = REPO_ROOT / "dags" / "fruits_features.py"
REGION = "eu-west-3"
BUCKET = "fruits-test-bucket"


def aws_connection(endpoint_url: str | None, region: str = REGION) -> str:
    """The ``AIRFLOW_CONN_AWS_DEFAULT`` value: region (and, locally, the endpoint) in the extra."""
    extra = {"region_name": region, **({"endpoint_url": endpoint_url} if endpoint_url else {})}
    return json.dumps({"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra})
