"""The snapshot catalogue: one row per object under the input prefix, saying where that image stands.

A published snapshot answers "what are the features of every image under the input prefix right now".
Its catalogue (``catalogue.parquet`` in the run that published it) lists every object that was there
when the run was planned, exactly once, with the identity it had (ETag and size) and its status:

- ``featurized``: its 1280-d features are in the feature partition named by ``partition`` (a run key)
  and its PCA vector in the snapshot's PCA table;
- ``quarantined``: unusable, with a ``reason`` code and a ``detail``; retried only when its ETag changes;
- ``deferred``: new or changed but left for a later run by the ``max_images`` cap;
- ``pending`` exists only in a run's *plan* catalogue: selected for this run's featurize step; the
  validate task resolves it to ``featurized`` or ``quarantined`` from the step's outputs.

The "already processed" state of the next run is derived from this table alone, so there is no second
record that could disagree with what was published.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fruits_emr.s3io import read_bytes, write_bytes

if TYPE_CHECKING:
    import pyarrow as pa
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

FEATURIZED = "featurized"
QUARANTINED = "quarantined"
DEFERRED = "deferred"
PENDING = "pending"
STATUSES = (FEATURIZED, QUARANTINED, DEFERRED, PENDING)
COLUMNS = ("path", "etag", "size", "status", "partition", "reason", "detail")


@dataclass(frozen=True)
class Entry:
    """One object of the input prefix as the snapshot records it."""

    path: str  # s3:// URI
    etag: str
    size: int
    status: str
    partition: str | None = None  # run key of the feature partition holding its row (featurized only)
    reason: str | None = None  # quarantine reason code (quarantined only)
    detail: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown catalogue status {self.status!r} for {self.path}")
        if (self.status == FEATURIZED) != (self.partition is not None):
            raise ValueError(f"{self.path}: a featurized entry, and only one, names its partition")

    def featurized_in(self, partition: str) -> Entry:
        return replace(self, status=FEATURIZED, partition=partition, reason=None, detail=None)

    def quarantined(self, reason: str, detail: str | None) -> Entry:
        return replace(self, status=QUARANTINED, partition=None, reason=reason, detail=detail)


def _schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([("path", pa.string()), ("etag", pa.string()), ("size", pa.int64()),
                      ("status", pa.dictionary(pa.int8(), pa.string())), ("partition", pa.string()),
                      ("reason", pa.string()), ("detail", pa.string())])


def to_table(entries: Iterable[Entry]) -> pa.Table:
    """The entries as a pyarrow Table sorted by path (the catalogue's file format)."""
    import pyarrow as pa

    rows = sorted(entries, key=lambda entry: entry.path)
    columns = {name: [getattr(entry, name) for entry in rows] for name in COLUMNS}
    return pa.Table.from_pydict(columns, schema=_schema())


def from_table(table: pa.Table) -> dict[str, Entry]:
    """``{path: Entry}`` of a catalogue table; a path listed twice is an error, never a silent merge."""
    entries: dict[str, Entry] = {}
    for row in table.select(list(COLUMNS)).to_pylist():
        entry = Entry(**row)
        if entry.path in entries:
            raise ValueError(f"catalogue lists {entry.path} twice")
        entries[entry.path] = entry
    return entries


def write_catalogue(s3_hook: S3Hook, uri: str, entries: Iterable[Entry]) -> None:
    """Write the entries as one Parquet object at ``uri``."""
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(to_table(entries), sink, compression="zstd")
    write_bytes(s3_hook, uri, sink.getvalue())


def read_catalogue(s3_hook: S3Hook, uri: str) -> dict[str, Entry]:
    """The catalogue at ``uri`` as ``{path: Entry}`` (``FileNotFoundError`` when absent)."""
    import pyarrow.parquet as pq

    return from_table(pq.read_table(io.BytesIO(read_bytes(s3_hook, uri))))


def count_by_status(entries: Iterable[Entry]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for entry in entries:
        counts[entry.status] += 1
    return counts
