"""``python -m local_emr.standalone`` (``make airflow-ui``): Airflow's UI wired to the local emulator.

Starts the emulator, uploads sample images to its bucket, then runs ``airflow standalone`` (API
server + UI, scheduler, DAG processor, triggerer) with the same environment as the demo, so
``fruits_features`` can be triggered from http://localhost:8080. Ctrl-C (or SIGTERM) stops both. The emulator
keeps its state in memory: every start begins with a fresh bucket. Airflow's home is
``.local/airflow-ui`` (kept between starts, so the generated admin password stays the same).
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

from local_emr.airflow_env import airflow_environment, default_weights
from local_emr.demo import BUCKET, INPUT_PREFIX
from local_emr.paths import LOCAL_DIR
from local_emr.sample_data import upload_samples
from local_emr.server import ensure_bucket, running_emulator

POKE_INTERVAL_S = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emr.standalone", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="Airflow UI port (default 8080)")
    parser.add_argument("--per-class", type=int, default=5, help="sample images per class")
    parser.add_argument("--airflow-home", type=Path, default=LOCAL_DIR / "airflow-ui")
    args = parser.parse_args(argv)

    airflow_home = args.airflow_home.resolve()
    with running_emulator(LOCAL_DIR / "airflow-ui-emr") as emulator:
        s3 = emulator.client("s3")
        ensure_bucket(s3, BUCKET)
        upload_samples(s3, BUCKET, INPUT_PREFIX, args.per_class)
        env = airflow_environment(emulator, airflow_home, BUCKET, default_weights(),
                                  poke_interval_s=POKE_INTERVAL_S)
        env.update({
            "AIRFLOW__API__PORT": str(args.port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{args.port}/execution/",
        })
        print(f"emulator on {emulator.endpoint_url}; Airflow UI on http://localhost:{args.port} "
              f"(home {airflow_home}); trigger 'fruits_features' there. Ctrl-C stops both.",
              flush=True)
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
