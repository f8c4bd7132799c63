"""Turn an EMR ``command-runner.jar spark-submit …`` step into a local ``spark-submit`` command line.

On EMR the step runs on a YARN cluster where ``s3://`` is a file system. Locally:
- cluster-only options (``--master``, ``--deploy-mode``, executor sizing, YARN queue) are dropped
  and the job runs with ``--master local[*]``;
- the files ``spark-submit`` itself must open (the application script, ``--py-files``, ``--files``,
  ``--jars``, ``--archives``) are replaced by their local mirror paths;
- application arguments keep their ``s3://`` URIs: Hadoop's ``ViewFileSystemOverloadScheme`` is
  configured to serve ``s3://BUCKET/...`` from the bucket's local mirror, so data paths read and
  written by the job (e.g. a ``path`` column) stay the ``s3://`` URIs they are on EMR.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

COMMAND_RUNNER = "command-runner.jar"
S3_URI = re.compile(r"s3a?://[^,\s]+")

# Options that take a value and only make sense on a cluster.
_CLUSTER_ONLY = frozenset({
    "--master", "--deploy-mode", "--num-executors", "--executor-cores", "--executor-memory",
    "--queue", "--total-executor-cores",
})
# Options whose values are comma-separated files spark-submit opens itself.
_LOCALISED_FILE_LISTS = frozenset({"--py-files", "--files", "--jars", "--archives"})
_FLAGS = frozenset({"--verbose", "-v", "--supervise"})


class UnsupportedStep(ValueError):
    """The step is not a ``command-runner.jar spark-submit`` step the emulator can run."""


@dataclass(frozen=True)
class SparkSubmit:
    """A parsed ``spark-submit`` invocation: options before the application, then its arguments."""

    options: tuple[str, ...]
    application: str
    app_args: tuple[str, ...]
    dropped: tuple[str, ...]

    def s3_uris(self) -> list[str]:
        """Every ``s3://`` URI the step mentions, in order, without duplicates."""
        found: dict[str, None] = {}
        for token in (*self.options, self.application, *self.app_args):
            for uri in S3_URI.findall(token):
                found.setdefault(uri, None)
        return list(found)

    def local_command(self, spark_submit: Path, local_path: Callable[[str], Path],
                      extra_conf: dict[str, str]) -> list[str]:
        """The command line to run locally; ``local_path`` maps an ``s3://`` URI to its mirror."""
        def localise(value: str) -> str:
            return S3_URI.sub(lambda m: str(local_path(m.group(0))), value)

        options = list(self.options)
        for i, token in enumerate(options[:-1]):
            if token in _LOCALISED_FILE_LISTS:
                options[i + 1] = localise(options[i + 1])
        conf = [arg for key, value in extra_conf.items() for arg in ("--conf", f"{key}={value}")]
        return [str(spark_submit), "--master", "local[*]", *conf, *options,
                localise(self.application), *self.app_args]


def parse_step(jar: str, args: list[str]) -> SparkSubmit:
    """Parse a step's Jar and Args; raises ``UnsupportedStep`` for anything but spark-submit."""
    if not jar.endswith(COMMAND_RUNNER):
        raise UnsupportedStep(f"only {COMMAND_RUNNER} steps run locally, got jar {jar!r}")
    if not args or args[0] != "spark-submit":
        raise UnsupportedStep(f"only 'spark-submit' commands run locally, got {args[:1]!r}")
    options: list[str] = []
    dropped: list[str] = []
    rest = list(args[1:])
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        name, has_inline_value, _ = option.partition("=")
        takes_value = option not in _FLAGS and not has_inline_value
        if takes_value and not rest:
            raise UnsupportedStep(f"spark-submit option {option} has no value")
        value = [rest.pop(0)] if takes_value else []
        (dropped if name in _CLUSTER_ONLY else options).extend([option, *value])
    if not rest:
        raise UnsupportedStep("spark-submit step names no application script")
    return SparkSubmit(tuple(options), rest[0], tuple(rest[1:]), tuple(dropped))
