"""plan_snapshot, the pure heart of incremental runs: what is featurized, carried, dropped, deferred."""
from __future__ import annotations

import pytest

from fruits_emr.catalogue import DEFERRED, FEATURIZED, PENDING, QUARANTINED, Entry
from fruits_emr.incremental import InputObject, Partition, plan_snapshot

INPUT = "s3://b/in/"
RUN = "run-3"


def obj(name: str, etag: str = "e1", size: int = 10) -> InputObject:
    return InputObject(INPUT + name, etag, size)


def featurized(name: str, partition: str, etag: str = "e1") -> Entry:
    return Entry(INPUT + name, etag, 10, FEATURIZED, partition)


def partition(key: str, rows: int) -> Partition:
    return Partition(
        key, (f"s3://b/out/runs/{key}/features",), f"s3://b/out/runs/{key}/partition_stats.npz", rows
    )


def plan(objects, previous=(), partitions=(), max_images=100, max_bytes=1000):
    return plan_snapshot(
        objects, {e.path: e for e in previous}, list(partitions), RUN, INPUT, max_images, max_bytes
    )


def statuses(result) -> dict[str, tuple]:
    return {path[len(INPUT):]: (e.status, e.partition, e.reason) for path, e in result.entries.items()}


def test_first_run_selects_every_object_sorted():
    result = plan([obj("kiwi/2.jpg"), obj("apple/1.jpg"), obj("notes.txt")])

    assert result.selected == [INPUT + "apple/1.jpg", INPUT + "kiwi/2.jpg", INPUT + "notes.txt"]
    assert {e.status for e in result.entries.values()} == {PENDING}
    assert result.changes and result.kept == [] and result.carried_from == [] and result.dropped == []


def test_unchanged_snapshot_needs_no_run():
    previous = [featurized("apple/1.jpg", "run-1"),
                Entry(INPUT + "bad.jpg", "e1", 10, QUARANTINED, None, "corrupt_image", "x")]
    result = plan([obj("apple/1.jpg"), obj("bad.jpg")], previous, [partition("run-1", 1)])

    assert not result.changes and result.selected == []
    assert result.kept == [partition("run-1", 1)]
    assert result.entries == {e.path: e for e in previous}


def test_new_images_are_added_and_old_partitions_kept():
    previous = [featurized("apple/1.jpg", "run-1"), featurized("apple/2.jpg", "run-2")]
    parts = [partition("run-1", 1), partition("run-2", 1)]
    result = plan([obj("apple/1.jpg"), obj("apple/2.jpg"), obj("kiwi/1.jpg")], previous, parts)

    assert result.selected == [INPUT + "kiwi/1.jpg"]
    assert result.kept == parts and result.carried_from == []
    assert statuses(result)["apple/2.jpg"] == (FEATURIZED, "run-2", None)


def test_replaced_image_is_featurized_again_and_its_partition_carried():
    previous = [featurized("apple/1.jpg", "run-1"), featurized("apple/2.jpg", "run-1"),
                featurized("kiwi/1.jpg", "run-2")]
    parts = [partition("run-1", 2), partition("run-2", 1)]
    result = plan([obj("apple/1.jpg", etag="e2"), obj("apple/2.jpg"), obj("kiwi/1.jpg")], previous, parts)

    assert result.selected == [INPUT + "apple/1.jpg"]
    assert result.dropped == [INPUT + "apple/1.jpg"]
    assert result.carried_from == [partition("run-1", 2)] and result.kept == [partition("run-2", 1)]
    assert statuses(result)["apple/2.jpg"] == (FEATURIZED, RUN, None)  # its row moves into this run
    assert statuses(result)["kiwi/1.jpg"] == (FEATURIZED, "run-2", None)


def test_deleted_images_leave_the_snapshot_and_an_emptied_partition_is_dropped():
    previous = [featurized("apple/1.jpg", "run-1"), featurized("kiwi/1.jpg", "run-2"),
                featurized("kiwi/2.jpg", "run-2"),
                Entry(INPUT + "gone.txt", "e1", 10, QUARANTINED, None, "unsupported_extension", "x")]
    parts = [partition("run-1", 1), partition("run-2", 2)]
    result = plan([obj("kiwi/2.jpg")], previous, parts)

    assert result.changes and result.selected == [] and result.deleted == 3
    assert result.dropped == [INPUT + "apple/1.jpg", INPUT + "kiwi/1.jpg"]
    assert result.kept == [] and result.carried_from == [partition("run-2", 2)]
    assert statuses(result) == {"kiwi/2.jpg": (FEATURIZED, RUN, None)}


def test_quarantined_file_is_retried_only_when_its_content_changes():
    bad = Entry(INPUT + "apple/3.jpg", "e1", 10, QUARANTINED, None, "corrupt_image", "truncated")
    unchanged = plan([obj("apple/3.jpg")], [bad])
    fixed = plan([obj("apple/3.jpg", etag="e2")], [bad])

    assert unchanged.selected == [] and not unchanged.changes
    assert fixed.selected == [INPUT + "apple/3.jpg"] and fixed.dropped == []


def test_cap_defers_the_rest_and_deferred_ones_come_next():
    first = plan([obj("a.jpg"), obj("b.jpg"), obj("c.jpg")], max_images=2)
    assert first.selected == [INPUT + "a.jpg", INPUT + "b.jpg"]
    assert statuses(first)["c.jpg"] == (DEFERRED, None, None)

    published = [e.featurized_in(RUN) if e.status == PENDING else e for e in first.entries.values()]
    second = plan([obj("a.jpg"), obj("b.jpg"), obj("c.jpg")], published, [partition(RUN, 2)], max_images=2)
    assert second.selected == [INPUT + "c.jpg"]


@pytest.mark.parametrize("name", ["apple//1.jpg", "apple/./1.jpg", "apple/../1.jpg", "apple/1.jpg ",
                                  " apple/1.jpg", "apple/1\n.jpg", "apple/1\x85.jpg", "apple/1\u2028.jpg",
                                  "apple/1\x00.jpg"])
def test_keys_hadoop_or_the_input_list_would_mangle_are_quarantined_at_plan_time(name):
    result = plan([obj(name), obj("apple/ok.jpg")])

    assert result.selected == [INPUT + "apple/ok.jpg"]
    assert statuses(result)[name][::2] == (QUARANTINED, "unsupported_key")


def test_too_large_objects_are_quarantined_and_a_featurized_one_that_grew_is_dropped():
    previous = [featurized("apple/1.jpg", "run-1"), featurized("apple/2.jpg", "run-1")]
    result = plan([obj("apple/1.jpg", etag="e2", size=5000), obj("apple/2.jpg")], previous,
                  [partition("run-1", 2)], max_bytes=1000)

    assert statuses(result)["apple/1.jpg"][::2] == (QUARANTINED, "too_large")
    assert result.dropped == [INPUT + "apple/1.jpg"] and result.selected == []
    assert result.carried_from == [partition("run-1", 2)]


def test_catalogue_naming_an_unknown_partition_is_an_error():
    with pytest.raises(ValueError, match="partitions its pointer does not list"):
        plan([obj("apple/1.jpg")], [featurized("apple/1.jpg", "run-9")], [partition("run-1", 1)])
