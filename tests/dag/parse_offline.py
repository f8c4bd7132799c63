"""Parse the DAG folder with every outgoing connection refused; print what happened as JSON.

Run as a separate process by test_integrity.py so the modules it finds loaded are the parse's own.
"""
from __future__ import annotations

import json
import socket
import sys

HEAVY_MODULES = ("tensorflow", "keras", "pyspark", "matplotlib", "pyarrow", "fruits_spark")
attempts: list[str] = []


def refuse(self, address, *args, **kwargs):
    attempts.append(repr(address))
    raise OSError(f"network access during DAG parsing: {address!r}")


socket.socket.connect = refuse
socket.socket.connect_ex = refuse

from airflow.dag_processing.dagbag import DagBag  # noqa: E402  (after the socket patch on purpose)

bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "import_errors": {str(k): v for k, v in bag.import_errors.items()},
    "dag_ids": sorted(bag.dag_ids),
    "heavy_modules": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY_MODULES),
    "connection_attempts": attempts,
}))
