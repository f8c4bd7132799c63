"""Command line: ``python -m local_emr serve [--port N] [--workdir DIR]`` runs the emulator until
Ctrl-C or SIGTERM; a running step is stopped with it."""
from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from local_emr.server import running_emulator

DEFAULT_WORKDIR = Path(".local/emr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local_emr", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run moto (S3 + EMR in eu-west-3) and the step runner")
    serve.add_argument("--port", type=int, default=5000, help="0 picks a free port (default 5000)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 in a container)")
    serve.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                       help=f"where steps run and S3 inputs are mirrored (default {DEFAULT_WORKDIR})")
    serve.add_argument("--keep-step-dirs", action="store_true",
                       help="keep each step's local S3 mirror after the step (for debugging)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    with running_emulator(args.workdir, port=args.port, host=args.host,
                           keep_step_dirs=args.keep_step_dirs) as emulator:
        print(f"local EMR emulator: endpoint {emulator.endpoint_url}, region {emulator.region}",
              flush=True)
        print(f"AIRFLOW_CONN_AWS_DEFAULT='{emulator.airflow_connection()}'", flush=True)
        print("Ctrl-C to stop", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # docker stop, kill
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        print("stopping", flush=True)


if __name__ == "__main__":
    main()
