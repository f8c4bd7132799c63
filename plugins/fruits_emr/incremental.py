"""Planning a run: what changed under the input prefix since the published snapshot, and what to do about it.

The published snapshot's catalogue (``fruits_emr.catalogue``) is the only record of what was processed.
``plan_snapshot`` compares it with a fresh listing (key + ETag + size of every object):

- new objects, objects whose ETag changed (a replaced image, a fixed upload of a quarantined file) and
  objects deferred by an earlier cap are *candidates*; the first ``max_images`` of them (sorted) are this
  run's input list, the rest stay ``deferred`` in the new catalogue;
- unchanged featurized or quarantined objects are carried over as they are (a quarantined file is not
  retried every night, only when its content changes);
- keys that cannot travel through the pipeline and objects above the size limit are quarantined here,
  before any cluster (``fruits_emr.input_keys``);
- featurized rows of deleted or changed objects are *dropped*: the feature partitions holding them
  cannot be reused as they are, so their remaining rows move into this run's partition (``carried``) and
  the old partitions stop being referenced, which lets retention erase them (GDPR).

Feature partitions are immutable: one per run that wrote features, listed with their statistics in the
published pointer. ``full_reprocess`` plans as if nothing had been published.

``plan_inputs`` runs the plan against S3 and writes, under the run's prefix, ``input_list.txt`` (one
URI per line), ``plan_catalogue.parquet`` and ``snapshot_plan.json`` (what the snapshot step needs).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fruits_emr import catalogue
from fruits_emr.catalogue import DEFERRED, FEATURIZED, PENDING, QUARANTINED, Entry
from fruits_emr.failures import PermanentFailure
from fruits_emr.input_keys import quarantine_reason
from fruits_emr.layout import RunLayout, folder_prefix, prefixes_overlap, split_s3_uri
from fruits_emr.pointer import Pointer, read_pointer
from fruits_emr.s3io import read_bytes, write_bytes

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

log = logging.getLogger(__name__)

SNAPSHOT_PLAN_VERSION = 1  # read by fruits_spark.snapshot, which keeps its own copy (test_shared_facts.py)


class SnapshotTooSmall(PermanentFailure):
    """The planned snapshot cannot hold ``k`` images: the PCA step would fail, so no cluster is started."""


@dataclass(frozen=True)
class InputObject:
    """One object under the input prefix, as listed: its URI and the identity of its content."""

    path: str
    etag: str
    size: int


@dataclass(frozen=True)
class Partition:
    """An immutable feature partition: the Parquet folders of one run's rows and their statistics."""

    run_key: str
    dirs: tuple[str, ...]
    stats_uri: str
    rows: int = 0

    def to_dict(self) -> dict:
        return {**asdict(self), "dirs": list(self.dirs)}

    @classmethod
    def from_dict(cls, data: dict) -> Partition:
        return cls(data["run_key"], tuple(data["dirs"]), data["stats_uri"], int(data.get("rows", 0)))


@dataclass(frozen=True)
class SnapshotPlan:
    """What a run does to the published snapshot (see the module docstring)."""

    entries: dict[str, Entry]  # the plan catalogue: every object listed now, exactly once
    selected: list[str]  # this run's input list (also ``pending`` in ``entries``)
    kept: list[Partition]  # reused unchanged
    carried_from: list[Partition]  # lost rows: what is left of them moves into this run's partition
    dropped: list[str]  # featurized rows that leave the snapshot (deleted, changed or now refused)
    deleted: int  # catalogue entries whose object is gone
    changes: bool  # whether the new snapshot differs from the published one (else no cluster)

    def counts(self) -> dict[str, int]:
        by_status = catalogue.count_by_status(self.entries.values())
        return {
            "total_found": len(self.entries),
            "selected": len(self.selected),
            "deferred": by_status[DEFERRED],
            "unchanged_featurized": by_status[FEATURIZED],
            "quarantined_without_featurize": by_status[QUARANTINED],
            "dropped_rows": len(self.dropped),
            "deleted": self.deleted,
            "kept_partitions": len(self.kept),
            "carried_partitions": len(self.carried_from),
        }

    def usable_at_most(self) -> int:
        """Rows the snapshot can hold at most: unchanged featurized images + this run's selection."""
        return sum(entry.status == FEATURIZED for entry in self.entries.values()) + len(self.selected)


def plan_snapshot(objects: Iterable[InputObject], previous: dict[str, Entry], partitions: list[Partition],
                  run_key: str, input_uri: str, max_images: int, max_bytes: int) -> SnapshotPlan:
    """Compare a listing with the published catalogue (empty for a first run or ``full_reprocess``)."""
    if max_images < 1:
        raise ValueError(f"max_images must be at least 1, got {max_images}")
    known = {partition.run_key: partition for partition in partitions}
    entries: dict[str, Entry] = {}
    candidates: list[InputObject] = []
    dropped: list[Entry] = []
    for obj in objects:
        old = previous.get(obj.path)
        refused = quarantine_reason(obj.path[len(input_uri):], obj.size, max_bytes)
        unchanged = old is not None and (old.etag, old.size) == (obj.etag, obj.size)
        if old is not None and old.status == FEATURIZED and (refused or not unchanged):
            dropped.append(old)
        if refused:
            entries[obj.path] = Entry(obj.path, obj.etag, obj.size, QUARANTINED, None, *refused)
        elif unchanged and old.status in (FEATURIZED, QUARANTINED):
            entries[obj.path] = old
        else:
            entries[obj.path] = Entry(obj.path, obj.etag, obj.size, PENDING)
            candidates.append(obj)
    gone = [old for path, old in previous.items() if path not in entries]
    dropped += [old for old in gone if old.status == FEATURIZED]
    candidates.sort(key=lambda obj: obj.path)
    for obj in candidates[max_images:]:
        entries[obj.path] = Entry(obj.path, obj.etag, obj.size, DEFERRED)

    featurized = [entry for entry in entries.values() if entry.status == FEATURIZED]
    unknown = {entry.partition for entry in featurized} - set(known)
    if unknown:
        raise ValueError(
            f"the published catalogue names partitions its pointer does not list: {sorted(unknown)}"
        )
    affected = {entry.partition for entry in dropped}
    left_in = {entry.partition for entry in featurized}
    for entry in featurized:
        if entry.partition in affected:
            entries[entry.path] = entry.featurized_in(run_key)
    return SnapshotPlan(
        entries=entries,
        selected=[obj.path for obj in candidates[:max_images]],
        kept=[known[key] for key in sorted(left_in - affected)],
        carried_from=[known[key] for key in sorted(left_in & affected)],
        dropped=sorted(entry.path for entry in dropped),
        deleted=len(gone),
        changes=entries != previous,
    )


def _lines_text(uris: Iterable[str]) -> str:
    return "".join(f"{uri}\n" for uri in uris)


def read_input_list(s3_hook: S3Hook, layout: RunLayout) -> list[str]:
    """The URIs the plan task selected for this run (``input_list.txt``), in file order."""
    text = read_bytes(s3_hook, layout.input_list_uri).decode("utf-8")
    return [line for line in text.split("\n") if line]


def list_input_objects(s3_hook: S3Hook, input_uri: str) -> list[InputObject]:
    """Every object under ``input_uri`` with its ETag and size (all pages); folder markers are skipped."""
    bucket, prefix = split_s3_uri(input_uri)
    try:
        listing = list(s3_hook.iter_file_metadata(folder_prefix(prefix), bucket_name=bucket))
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code")
        raise ValueError(f"cannot list input prefix {input_uri!r}: {code or err}") from err
    markers = sum(obj["Key"].endswith("/") for obj in listing)
    if markers:
        log.info("Skipping %d folder marker object(s) under %s (not files)", markers, input_uri)
    objects = [InputObject(f"s3://{bucket}/{obj['Key']}", obj["ETag"].strip('"'), int(obj["Size"]))
               for obj in listing if not obj["Key"].endswith("/")]
    if not objects:
        raise ValueError(f"input prefix {input_uri!r} is missing or holds no objects")
    return objects


def published_state(
    s3_hook: S3Hook, layout: RunLayout
) -> tuple[Pointer | None, dict[str, Entry], list[Partition]]:
    """The pointer, its catalogue and its partitions; empty before the first publish."""
    pointer = read_pointer(s3_hook, layout.latest_uri)
    if pointer is None:
        return None, {}, []
    document = pointer.document
    partitions = [Partition.from_dict(p) for p in document["snapshot"]["partitions"]]
    return pointer, catalogue.read_catalogue(s3_hook, document["snapshot"]["catalogue"]), partitions


def snapshot_plan_document(plan: SnapshotPlan, layout: RunLayout, k: int, base: Pointer | None) -> dict:
    """``snapshot_plan.json``: what the snapshot (PCA) step reads, and what publish checks against."""
    return {
        "version": SNAPSHOT_PLAN_VERSION,
        "run_key": layout.run_key,
        "k": k,
        "based_on": base.document["run_key"] if base else None,
        "base_pointer_etag": base.etag if base else None,
        "plan_catalogue": layout.plan_catalogue_uri,
        "kept_partitions": [p.to_dict() for p in plan.kept],
        "carried_from": [p.to_dict() for p in plan.carried_from],
        "new_partition": Partition(layout.run_key, (layout.features_uri, layout.carried_uri),
                                   layout.partition_stats_uri).to_dict(),
    }


def plan_inputs(s3_hook: S3Hook, layout: RunLayout, input_uri: str, *, max_images: int, k: int,
                full_reprocess: bool, max_image_bytes: int) -> dict:
    """Plan this run against the published snapshot, write the plan files and return the counts."""
    if prefixes_overlap(*split_s3_uri(input_uri), *split_s3_uri(layout.root_uri)):
        raise ValueError(f"input prefix {input_uri!r} and output prefix {layout.root_uri!r} overlap; "
                         "use separate prefixes")
    bucket, prefix = split_s3_uri(input_uri)
    input_uri = f"s3://{bucket}/{folder_prefix(prefix)}"  # keys are judged relative to this folder
    objects = list_input_objects(s3_hook, input_uri)
    base, previous, partitions = published_state(s3_hook, layout)
    if full_reprocess:
        previous, partitions = {}, []
    plan = plan_snapshot(
        objects, previous, partitions, layout.run_key, input_uri, max_images, max_image_bytes
    )
    if plan.changes and plan.usable_at_most() < k:
        raise SnapshotTooSmall(
            f"the snapshot would hold at most {plan.usable_at_most()} images, fewer than k={k} PCA "
            f"components: no cluster is started. Add images under {input_uri} or lower k.")
    write_bytes(s3_hook, layout.input_list_uri, _lines_text(plan.selected).encode("utf-8"))
    catalogue.write_catalogue(s3_hook, layout.plan_catalogue_uri, plan.entries.values())
    document = snapshot_plan_document(plan, layout, k, base)
    write_bytes(s3_hook, layout.snapshot_plan_uri, json.dumps(document, indent=2).encode("utf-8"))
    return {
        **plan.counts(),
        "changes": plan.changes,
        "full_reprocess": full_reprocess,
        "based_on": document["based_on"],
        "base_pointer_etag": document["base_pointer_etag"],
        "input_list_uri": layout.input_list_uri,
    }
