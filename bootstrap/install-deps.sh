#!/usr/bin/env bash
# EMR bootstrap action: install the Spark side's pinned Python packages on every node.
#
# Usage (RunJobFlow BootstrapActions): install-deps.sh s3://BUCKET/.../requirements-emr.txt
# EMR 7 ships Python 3.9; the pins need Python 3.11, which Amazon Linux 2023 packages. Spark is told
# to use it (spark.pyspark.python, PYSPARK_PYTHON) by the job flow's Configurations.
# Idempotent: an installed interpreter and satisfied pins are left as they are. Fails loudly: any
# failing command stops the script with a non-zero status, which fails the cluster's bootstrap.
set -euo pipefail

readonly PYTHON=/usr/bin/python3.11
readonly WORK_DIR=/tmp/fruits-emr-bootstrap

log() { printf '%s [fruits-emr bootstrap] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
trap 'log "FAILED (exit $?) at line ${LINENO}: ${BASH_COMMAND}"' ERR

if [[ $# -ne 1 || "$1" != s3://* ]]; then
  log "usage: $0 s3://.../requirements-emr.txt"
  exit 2
fi
readonly REQUIREMENTS_URI="$1"

if [[ -x "${PYTHON}" ]]; then
  log "python3.11 already installed"
else
  log "installing python3.11"
  sudo dnf install -y -q python3.11 python3.11-pip
fi

mkdir -p "${WORK_DIR}"
aws s3 cp --only-show-errors "${REQUIREMENTS_URI}" "${WORK_DIR}/requirements-emr.txt"

log "installing pinned packages from ${REQUIREMENTS_URI}"
sudo "${PYTHON}" -m pip install --quiet --disable-pip-version-check --no-input \
  --requirement "${WORK_DIR}/requirements-emr.txt"
sudo "${PYTHON}" -m pip check

log "installed versions:"
"${PYTHON}" --version >&2
"${PYTHON}" - "${WORK_DIR}/requirements-emr.txt" >&2 <<'PY'
import sys
from importlib.metadata import version

for line in open(sys.argv[1]):
    name = line.split("#")[0].strip().split("==")[0]
    if name:
        print(f"  {name}=={version(name)}")
import tensorflow as tf  # proves the interpreter can load TensorFlow, not just that pip finished

print(f"  tensorflow imports, {len(tf.config.list_physical_devices('CPU'))} CPU device(s)")
PY
log "done"
