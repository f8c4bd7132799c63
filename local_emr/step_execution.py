"""Run one EMR step locally: mirror its S3 inputs, run the real spark-submit, sync outputs back.

The job sees ``s3://BUCKET/...`` through Hadoop's ``ViewFileSystemOverloadScheme`` mounted on the
local mirror of each bucket (see ``spark_command``). The process gets the emulator's Python
(``PYSPARK_PYTHON``) but not its ``PYTHONPATH``: code must come with ``--py-files``, as on EMR.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from local_emr.s3_mirror import S3Mirror
from local_emr.spark_command import SparkSubmit, UnsupportedStep, parse_step
from local_emr.step_logs import failure_reason, upload_step_logs

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class StepOutcome:
    """How a step ended; ``failure`` is set (Reason, Message, LogFile) when it failed."""

    succeeded: bool
    stopped: bool = False
    failure: dict[str, str] | None = None
    log_name: str = "stderr"  # the log that explains the failure


def spark_submit_path() -> Path:
    """``spark-submit`` next to this Python (the venv's pyspark), else the one on PATH."""
    beside = Path(sys.executable).parent / "spark-submit"
    found = beside if beside.is_file() else shutil.which("spark-submit")
    if not found:
        raise FileNotFoundError("spark-submit not found: install pyspark in this environment")
    return Path(found)


def s3_overload_conf(bucket_dirs: dict[str, Path]) -> dict[str, str]:
    """Spark conf that serves ``s3://BUCKET/...`` from ``bucket_dirs[BUCKET]``."""
    conf = {
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme",
        "spark.ui.enabled": "false",
    }
    for bucket, directory in sorted(bucket_dirs.items()):
        conf[f"spark.hadoop.fs.viewfs.mounttable.{bucket}.linkFallback"] = directory.as_uri()
    return conf


def step_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


class StepExecution:
    """One step of one cluster, run in ``step_dir`` (mirror in ``s3/``, logs in ``logs/``)."""

    def __init__(self, s3_client: Any, step_dir: Path, cluster: Any, step: Any,
                 log: Callable[[str], None]):
        self._s3 = s3_client
        self._cluster = cluster
        self._step = step
        self._log = log
        self._logs = step_dir / "logs"
        self._mirror = S3Mirror(s3_client, step_dir / "s3")
        self._logs.mkdir(parents=True, exist_ok=True)

    def run(self, should_stop: Callable[[], bool]) -> StepOutcome:
        controller = (self._logs / "controller").open("w")
        try:
            outcome = self._run(should_stop, controller)
        except Exception as error:  # noqa: BLE001 - any emulator-side error fails the step, visibly
            controller.write(f"emulator error: {error!r}\n")
            self._log(f"step {self._step.id}: emulator error {error!r}")
            outcome = StepOutcome(False, failure={"Reason": f"{type(error).__name__}: {error}"})
        finally:
            controller.close()
        log_prefix = upload_step_logs(self._s3, self._logs, self._cluster.log_uri,
                                      self._cluster.id, self._step.id)
        if outcome.failure is not None:
            outcome.failure.setdefault("Message", outcome.failure["Reason"])
            if log_prefix:
                outcome.failure["LogFile"] = f"{log_prefix}{outcome.log_name}.gz"
        return outcome

    def _run(self, should_stop: Callable[[], bool], controller: Any) -> StepOutcome:
        hadoop_step = self._step.hadoop_jar_step
        try:
            command = parse_step(hadoop_step.get("Jar", ""), list(hadoop_step.get("Args", [])))
        except UnsupportedStep as error:
            return StepOutcome(False, failure={"Reason": f"Unsupported step: {error}"})
        local_command = self._prepare(command, controller)
        return_code = self._spawn(local_command, should_stop)
        sync = self._mirror.sync_back()
        controller.write(f"uploaded {len(sync.uploaded)} file(s), deleted {len(sync.deleted)}\n")
        if return_code is None:
            return StepOutcome(False, stopped=True)
        if return_code != 0:
            logs = {name: (self._logs / name).read_text(errors="replace")
                    for name in ("stdout", "stderr")}
            reason, log_name = failure_reason(logs, return_code)
            message = f"spark-submit exited with code {return_code}: {reason}"
            return StepOutcome(False, failure={"Reason": reason, "Message": message},
                               log_name=log_name or "stderr")
        return StepOutcome(True)

    def _prepare(self, command: SparkSubmit, controller: Any) -> list[str]:
        for uri in command.s3_uris():
            count = self._mirror.download_with_references(uri)
            controller.write(f"mirrored {count} object(s) from {uri}\n")
        buckets = {b["Name"] for b in self._s3.list_buckets()["Buckets"]}
        bucket_dirs = {name: self._mirror.bucket_dir(name) for name in buckets}
        for directory in bucket_dirs.values():
            directory.mkdir(parents=True, exist_ok=True)
        local_command = command.local_command(spark_submit_path(), self._mirror.local_path,
                                              s3_overload_conf(bucket_dirs))
        if command.dropped:
            controller.write(f"dropped cluster-only options: {' '.join(command.dropped)}\n")
        controller.write("running: " + " ".join(local_command) + "\n")
        controller.flush()
        return local_command

    def _spawn(self, command: list[str], should_stop: Callable[[], bool]) -> int | None:
        """Run the command; returns its exit code, or None when stopped before it ended."""
        with (self._logs / "stdout").open("wb") as out, (self._logs / "stderr").open("wb") as err:
            process = subprocess.Popen(command, stdout=out, stderr=err, env=step_environment(),
                                       cwd=self._logs, start_new_session=True)
            while process.poll() is None:
                if should_stop():
                    self._log(f"stopping step {self._step.id} (pid {process.pid})")
                    os.killpg(process.pid, signal.SIGTERM)
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, signal.SIGKILL)
                        process.wait()
                    return None
                time.sleep(POLL_SECONDS)
            return process.returncode
