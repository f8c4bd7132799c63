"""Decide which files a featurize run covers, before any image is read, with no driver call per file.

Every file named counts: the lines of ``--input-list`` (the plan task writes it) or, without a list, every
file under ``--input`` (a Hadoop walk over py4j, a few calls per file: meant for small manual runs).

1. The input list is read once and its URIs are qualified in Python (a JVM call only for the rare line
   without a scheme).
2. Files with an unsupported extension, or named in the list but not under ``--input``, are quarantined
   without being read.
3. Spark lists the folders that hold the listed files in one call (``InMemoryFileIndex``: a distributed
   listing job when there are many folders; the result crosses py4j as one string). Listed files it
   found are read by Spark's ``binaryFile`` reader in the executors.
4. Listed files that listing did not return are looked up one by one on the driver; they are few: names
   Spark's listing skips (``_x.jpg``, ``.x.png``, ``x._COPYING_``), names holding a newline (the reader
   gets its paths as one string) and files deleted since planning.
   Missing -> ``missing_file``, 0 bytes -> ``empty_file``, present -> read on the driver.

A file deleted between this listing and its read is caught by the job's reconciliation
(``featurize_job``), not lost.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from pyspark.sql import SparkSession

from fruits_spark import hadoop_fs
from fruits_spark.decode import EMPTY_FILE, MISSING_FILE, UNSUPPORTED_EXTENSION, Quarantine
from fruits_spark.errors import missing_input_is
from fruits_spark.paths import SUPPORTED_EXTENSIONS, escape_glob, has_supported_extension

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DETAILS = {
    UNSUPPORTED_EXTENSION: f"extension is not one of {', '.join(SUPPORTED_EXTENSIONS)}",
    EMPTY_FILE: "file has 0 bytes",
}
# joins many paths into one string crossing py4j (listing URIs are encoded; names holding it go to the driver)
PATH_SEPARATOR = "\n"


@dataclass(frozen=True)
class Inventory:
    """The files of one run: what Spark reads, what the driver reads, and what is quarantined unread."""

    images: list[str]  # read by Spark's binaryFile reader in the executors
    driver_images: list[str]  # present but skipped by Spark's listing: read on the driver
    rejected: list[tuple[str, Quarantine]]

    @property
    def found(self) -> int:
        return len(self.images) + len(self.driver_images) + len(self.rejected)


def take_inventory(spark: SparkSession, input_uri: str, input_list_uri: str | None = None) -> Inventory:
    """The files named in the ``input_list_uri`` text file, or all files under ``input_uri``."""
    with missing_input_is(f"--input {input_uri} does not exist"):
        if not hadoop_fs.exists(spark, input_uri):
            raise FileNotFoundError(input_uri)
        root = hadoop_fs.qualify(spark, input_uri).rstrip("/")
        listed = list(hadoop_fs.list_files(spark, input_uri)) if input_list_uri is None else \
            read_input_list(spark, input_list_uri)
    rejected: list[tuple[str, Quarantine]] = []
    candidates = []
    for uri in listed:
        if not uri.startswith(root + "/") and uri != root:
            rejected.append((uri, Quarantine(MISSING_FILE, f"listed but not under {input_uri}")))
        elif not has_supported_extension(uri):
            rejected.append((uri, Quarantine(UNSUPPORTED_EXTENSION, _DETAILS[UNSUPPORTED_EXTENSION])))
        else:
            candidates.append(uri)
    unjoinable = {uri for uri in candidates if PATH_SEPARATOR in uri}
    seen_by_spark = spark_listing(spark, _folders(candidates)) - unjoinable
    images = [uri for uri in candidates if uri in seen_by_spark]
    driver_images = []
    for uri in candidates:
        if uri in seen_by_spark:
            continue
        quarantine = unreadable(spark, uri, "listed but not found (deleted since planning?)")
        if quarantine:
            rejected.append((uri, quarantine))
        else:
            driver_images.append(uri)
    return Inventory(images, driver_images, rejected)


def unreadable(spark: SparkSession, uri: str, missing_detail: str) -> Quarantine | None:
    """Why the file at ``uri`` cannot be featurized when a driver lookup says so: gone or 0 bytes."""
    size = hadoop_fs.file_size(spark, uri)
    if size is None:
        return Quarantine(MISSING_FILE, missing_detail)
    return Quarantine(EMPTY_FILE, _DETAILS[EMPTY_FILE]) if size == 0 else None


def read_input_list(spark: SparkSession, input_list_uri: str) -> list[str]:
    """The URIs in an input list (one per line; blank lines and repeats ignored), fully qualified."""
    with missing_input_is(f"--input-list {input_list_uri} does not exist"):
        text = hadoop_fs.read_text(spark, input_list_uri)
    lines = (line.strip() for line in text.splitlines())
    return list(dict.fromkeys(qualify(spark, line) for line in lines if line))


def qualify(spark: SparkSession, uri: str) -> str:
    """The form Spark reports for ``uri``: ``file:///a`` -> ``file:/a``; other schemes as written.

    Only a line without a scheme (a bare path, in tests and manual runs) costs a JVM call: what it means
    depends on Hadoop's default file system.
    """
    if uri.startswith("file://"):
        return "file:/" + uri.removeprefix("file://").lstrip("/")
    return uri if _SCHEME.match(uri) else hadoop_fs.qualify(spark, uri)


def spark_listing(spark: SparkSession, folders: list[str]) -> set[str]:
    """Every file Spark's own listing finds under ``folders`` (those that exist), in one py4j round trip.

    No file content is read: ``inputFiles`` only runs the file index. Names Spark skips are not returned.
    ``inputFiles`` gives URIs (``file:///a/b%20c.jpg``); they are turned back into the paths Spark's readers
    report (``file:/a/b c.jpg``), checked on odd names under both Spark versions by the tests.
    """
    folders = [folder for folder in folders if hadoop_fs.exists(spark, folder)]
    if not folders:
        return set()
    reader = spark.read.format("binaryFile").option("recursiveFileLookup", "true")
    files = reader.load([escape_glob(folder) for folder in folders])._jdf.inputFiles()
    # Hadoop's join takes the String[] as is (py4j would copy it one element per call: 10 s per 100k)
    joined = str(spark.sparkContext._jvm.org.apache.hadoop.util.StringUtils.join(PATH_SEPARATOR, files))
    return {qualify(spark, unquote(uri)) for uri in joined.split(PATH_SEPARATOR)} if joined else set()


def still_listed(spark: SparkSession, uris: list[str]) -> list[str]:
    """The ``uris`` that Spark's listing of their folders still finds (files deleted meanwhile drop out)."""
    present = spark_listing(spark, _folders(uris))
    return [uri for uri in uris if uri in present]


def _folders(uris: list[str]) -> list[str]:
    """The parent folders of ``uris``, without any folder that lies inside another one of them."""
    kept: set[str] = set()
    for folder in sorted({uri.rsplit("/", 1)[0] for uri in uris}, key=len):
        ancestors = (folder[:i] for i, char in enumerate(folder) if char == "/")
        if not any(ancestor in kept for ancestor in ancestors):
            kept.add(folder)
    return sorted(kept)
