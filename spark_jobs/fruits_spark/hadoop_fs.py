"""Small-file I/O from the Spark driver through the JVM's Hadoop FileSystem API (via py4j).

Whatever URI Spark itself can read works here too: local paths and ``file://`` in tests, ``s3://`` on EMR
(EMRFS), so the jobs need no boto3. Meant for small things only (weights, input lists, reports, sizes):
every byte crosses the py4j socket.
"""
from __future__ import annotations

import json

from pyspark.sql import SparkSession


def _fs_and_path(spark: SparkSession, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def exists(spark: SparkSession, uri: str) -> bool:
    """Whether a file or directory exists at ``uri``."""
    fs, path = _fs_and_path(spark, uri)
    return bool(fs.exists(path))


def qualify(spark: SparkSession, uri: str) -> str:
    """The fully qualified form Spark reports for ``uri`` (``/a/b.jpg`` -> ``file:/a/b.jpg``)."""
    fs, path = _fs_and_path(spark, uri)
    return str(fs.makeQualified(path).toString())


def file_size(spark: SparkSession, uri: str) -> int | None:
    """The size in bytes of the file at ``uri``, or ``None`` when there is no file there."""
    fs, path = _fs_and_path(spark, uri)
    return int(fs.getFileStatus(path).getLen()) if fs.isFile(path) else None


def read_bytes(spark: SparkSession, uri: str) -> bytes:
    """The whole content of the file at ``uri``; ``FileNotFoundError`` naming it when there is none."""
    fs, path = _fs_and_path(spark, uri)
    if not fs.isFile(path):
        raise FileNotFoundError(f"no file at {uri}")
    stream = fs.open(path)
    try:
        return bytes(stream.readAllBytes())
    finally:
        stream.close()


def read_text(spark: SparkSession, uri: str) -> str:
    """The file at ``uri`` decoded as UTF-8."""
    return read_bytes(spark, uri).decode("utf-8")


def write_bytes(spark: SparkSession, uri: str, data: bytes) -> None:
    """Create or overwrite the file at ``uri`` with ``data`` (parent folders are created)."""
    fs, path = _fs_and_path(spark, uri)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Create or overwrite the file at ``uri`` with ``text`` encoded as UTF-8."""
    write_bytes(spark, uri, text.encode("utf-8"))


def list_files(spark: SparkSession, uri: str) -> dict[str, int]:
    """``{file URI: size in bytes}`` of every file under ``uri`` (recursively, hidden names included), sorted.

    Unlike Spark's file readers, this skips nothing: names starting with ``_`` or ``.`` are listed too.
    A ``uri`` that is itself a file lists as that one file.
    """
    fs, path = _fs_and_path(spark, uri)
    if not fs.exists(path):
        raise FileNotFoundError(f"nothing at {uri}")
    found = {}
    iterator = fs.listFiles(path, True)
    while iterator.hasNext():
        status = iterator.next()
        found[str(status.getPath().toString())] = int(status.getLen())
    return dict(sorted(found.items()))


def directory_bytes(spark: SparkSession, uri: str) -> int:
    """Total size in bytes of the files under ``uri`` (Hadoop's content summary; checksum files excluded)."""
    fs, path = _fs_and_path(spark, uri)
    if not fs.exists(path):
        raise FileNotFoundError(f"nothing at {uri}")
    return int(fs.getContentSummary(path).getLength())


def write_json(spark: SparkSession, uri: str, document: dict) -> None:
    """Write ``document`` as indented JSON to ``uri`` (reports)."""
    write_text(spark, uri, json.dumps(document, indent=2) + "\n")
