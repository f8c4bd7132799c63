"""``python -m local_emr.standalone`` (``make airflow-ui``): Airflow's UI wired to the local emulator.

Starts the emulator, uploads sample images to its bucket, then runs ``airflow standalone`` (API
server + UI, scheduler, DAG processor, triggerer) with the same environment as the demo, so
``fruits_features`` can be triggered from http://localhost:8080 (``--port`` for another). Ctrl-C (or
SIGTERM) stops both. The emulator keeps its state in memory: every start begins with a fresh bucket.
Airflow's home is ``.local/airflow-ui`` (kept between starts, so the admin password stays the same;
the startup lines say what it is and where it is stored).

Nothing runs unless a person triggers it: the DAG has no schedule here (``FRUITS_EMR_SCHEDULE=none``),
so it is created unpaused and unpausing never starts a missed nightly run. The "Run reports and
plots" links of validate and publish open a small read-only view of the emulator's buckets
(``local_emr.s3_browser``) on a free port.
"""
from __future__ import annotations

import argparse
import json
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from fruits_emr.config import SCHEDULE_OFF
from local_emr.airflow_env import airflow_environment, default_weights
from local_emr.demo import BUCKET, INPUT_PREFIX
from local_emr.paths import LOCAL_DIR
from local_emr.s3_browser import serving_s3_browser
from local_emr.sample_data import upload_samples
from local_emr.server import ensure_bucket, running_emulator

POKE_INTERVAL_S = 10
ADMIN = "admin"
# Where Airflow's simple auth manager keeps the generated passwords (its default, in AIRFLOW_HOME).
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"


def admin_password(airflow_home: Path) -> tuple[str, Path]:
    """The admin's password and its file: the one Airflow stored earlier, else a new one stored now.

    Airflow prints a password it generates only on its very first start; writing the file first lets
    the launcher say it on every start.
    """
    path = airflow_home / PASSWORDS_FILE
    passwords = json.loads(path.read_text() or "{}") if path.is_file() else {}
    if ADMIN not in passwords:
        passwords[ADMIN] = secrets.token_urlsafe(12)
        airflow_home.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords) + "\n")
    return passwords[ADMIN], path


def launcher_settings(port: int, s3_browser_url: str) -> dict[str, str]:
    """What the launcher adds to the demo's environment: the port, no schedule, the link target."""
    return {
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "FRUITS_EMR_SCHEDULE": SCHEDULE_OFF,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # safe: no schedule, nothing runs by itself
        "FRUITS_EMR_S3_BROWSER_URL": s3_browser_url,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emr.standalone", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="Airflow UI port (default 8080)")
    parser.add_argument("--per-class", type=int, default=5, help="sample images per class")
    parser.add_argument("--airflow-home", type=Path, default=LOCAL_DIR / "airflow-ui")
    parser.add_argument("--emulator-dir", type=Path, default=LOCAL_DIR / "airflow-ui-emr",
                        help="where the emulator runs steps (default .local/airflow-ui-emr)")
    args = parser.parse_args(argv)

    airflow_home = args.airflow_home.resolve()
    password, password_file = admin_password(airflow_home)
    with running_emulator(args.emulator_dir) as emulator, \
            serving_s3_browser(emulator.client("s3")) as s3_browser_url:
        s3 = emulator.client("s3")
        ensure_bucket(s3, BUCKET)
        upload_samples(s3, BUCKET, INPUT_PREFIX, args.per_class)
        env = airflow_environment(emulator, airflow_home, BUCKET, default_weights(),
                                  poke_interval_s=POKE_INTERVAL_S)
        env.update(launcher_settings(args.port, s3_browser_url))
        print("\n".join([
            f"Airflow UI      http://localhost:{args.port} (ready when Airflow logs 'Airflow is ready')",
            f"log in as       {ADMIN} / {password}  (stored in {password_file})",
            "then            trigger 'fruits_features' from its form (no schedule: nothing runs by itself)",
            f"emulator        {emulator.endpoint_url} (S3 + EMR, bucket {BUCKET}; a fresh bucket each start)",
            f"run outputs     {s3_browser_url}/{BUCKET}/ (the tasks' 'Run reports and plots' links)",
            f"Airflow home    {airflow_home}",
            "Ctrl-C stops everything.",
        ]), flush=True)
        # Airflow stops its components on SIGINT only; a shell that started us in the background
        # made SIGINT ignored, which a child would inherit: give it the default handler back.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        airflow = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env)
        signal.signal(signal.SIGTERM, lambda *_: airflow.send_signal(signal.SIGINT))
        try:
            return airflow.wait()
        except KeyboardInterrupt:  # Ctrl-C reached Airflow as well: let it shut down
            return airflow.wait()


if __name__ == "__main__":
    sys.exit(main())
