#!/usr/bin/env bash
# EMR bootstrap action: install the Spark side's pinned Python packages on every node.
#
# Usage (RunJobFlow BootstrapActions): install-deps.sh s3://BUCKET/.../requirements-emr.txt [s3://WHEELHOUSE/]
# Every package is installed with pip --require-hashes (requirements-emr.txt pins each one with its
# hashes): a package whose file differs from the pinned hash is refused. With a wheelhouse (an s3://
# folder of wheels: FRUITS_EMR_WHEELHOUSE), pip reads only that folder (--no-index), so a cluster in a
# private subnet without NAT needs no package index.
# EMR 7 ships Python 3.9; the pins need Python 3.11, which Amazon Linux 2023 packages. Spark is told
# to use it (spark.pyspark.python, PYSPARK_PYTHON) by the job flow's Configurations.
# Idempotent: an installed interpreter and satisfied pins are left as they are. Fails loudly: any
# failing command stops the script with a non-zero status, which fails the cluster's bootstrap.
set -euo pipefail

readonly PYTHON=/usr/bin/python3.11
readonly WORK_DIR=/tmp/fruits-emr-bootstrap

log() { printf '%s [fruits-emr bootstrap] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
trap 'log "FAILED (exit $?) at line ${LINENO}: ${BASH_COMMAND}"' ERR

if [[ $# -lt 1 || $# -gt 2 || "$1" != s3://* || ( $# -eq 2 && "$2" != s3://* ) ]]; then
  log "usage: $0 s3://.../requirements-emr.txt [s3://.../wheelhouse/]"
  exit 2
fi
readonly REQUIREMENTS_URI="$1"
readonly WHEELHOUSE_URI="${2:-}"

if [[ -x "${PYTHON}" ]]; then
  log "python3.11 already installed"
else
  log "installing python3.11"
  sudo dnf install -y -q python3.11 python3.11-pip
fi

mkdir -p "${WORK_DIR}"
aws s3 cp --only-show-errors "${REQUIREMENTS_URI}" "${WORK_DIR}/requirements-emr.txt"

index_options=()
if [[ -n "${WHEELHOUSE_URI}" ]]; then
  aws s3 cp --only-show-errors --recursive "${WHEELHOUSE_URI%/}/" "${WORK_DIR}/wheels/"
  index_options=(--no-index --find-links "${WORK_DIR}/wheels")
  log "installing from the wheelhouse ${WHEELHOUSE_URI} only"
fi

log "installing hash-pinned packages from ${REQUIREMENTS_URI}"
sudo "${PYTHON}" -m pip install --quiet --disable-pip-version-check --no-input --require-hashes \
  "${index_options[@]}" --requirement "${WORK_DIR}/requirements-emr.txt"
sudo "${PYTHON}" -m pip check

log "installed versions:"
"${PYTHON}" --version >&2
"${PYTHON}" - "${WORK_DIR}/requirements-emr.txt" >&2 <<'PY'
import sys
from importlib.metadata import version

for line in open(sys.argv[1]):
    if "==" in line and not line.startswith((" ", "#")):  # "name==version \" (hash lines follow)
        name = line.split("==")[0]
        print(f"  {name}=={version(name)}")
import tensorflow as tf  # proves the interpreter can load TensorFlow, not just that pip finished

print(f"  tensorflow imports, {len(tf.config.list_physical_devices('CPU'))} CPU device(s)")
PY
log "done"
