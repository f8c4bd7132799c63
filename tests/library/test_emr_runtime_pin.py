"""The Spark the runtime-parity tests run under is the Spark of the EMR release the job flow asks for."""
import re

from fruits_emr.job_flow import EMR_RELEASE_LABEL, EMR_SPARK_VERSIONS
from local_emr.paths import REPO_ROOT

EMR_SPARK_PINS = REPO_ROOT / "requirements" / "emr-spark.txt"


def pinned(package: str) -> str:
    (version,) = re.findall(rf"^{package}==(\S+)$", EMR_SPARK_PINS.read_text(), flags=re.MULTILINE)
    return version


def test_release_label_and_spark_pin_agree():
    assert EMR_RELEASE_LABEL in EMR_SPARK_VERSIONS, (
        f"add the Spark version of {EMR_RELEASE_LABEL} to EMR_SPARK_VERSIONS"
    )
    assert pinned("pyspark") == EMR_SPARK_VERSIONS[EMR_RELEASE_LABEL]
