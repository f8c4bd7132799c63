"""Mirror S3 prefixes to a local folder for one step, and sync what the step wrote back to S3.

``s3://bucket/key`` lives at ``ROOT/bucket/key``. Before a step runs, every object at or under each
URI the step names is downloaded, and so is every ``s3://`` URI named inside a JSON file the step names
(a manifest such as the snapshot plan: on EMR the job reads those through EMRFS like any other path);
afterwards new or changed files are uploaded, and objects the step deleted locally (e.g. a Spark
``overwrite``) are deleted from S3, as on EMR. Hadoop's ``.crc`` checksum side files never leave the
local folder.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_S3_URI = re.compile(r"s3a?://([^/]+)/?(.*)")
FileState = tuple[int, int]  # size, mtime in ns


def split_s3_uri(uri: str) -> tuple[str, str]:
    match = _S3_URI.fullmatch(uri)
    if not match:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return match.group(1), match.group(2)


@dataclass
class SyncResult:
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class S3Mirror:
    """A local copy of the S3 objects one step reads, synced back after the step."""

    def __init__(self, s3_client: Any, root: Path):
        self._s3 = s3_client
        self.root = root
        self._downloaded: dict[Path, FileState] = {}

    def bucket_dir(self, bucket: str) -> Path:
        return self.root / bucket

    def local_path(self, uri: str) -> Path:
        bucket, key = split_s3_uri(uri)
        return self.bucket_dir(bucket) / key

    def download(self, uri: str) -> int:
        """Fetch the object at ``uri`` and every object under ``uri/``; returns how many."""
        bucket, key = split_s3_uri(uri)
        prefix = key.rstrip("/")
        count = 0
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                name = obj["Key"]
                inside = not prefix or name == prefix or name.startswith(prefix + "/")
                if inside and not name.endswith("/"):
                    self._fetch(bucket, name)
                    count += 1
        return count

    def download_with_references(self, uri: str) -> int:
        """``download(uri)``, then, when ``uri`` is a JSON file, every ``s3://`` URI its values name."""
        count = self.download(uri)
        path = self.local_path(uri)
        if uri.endswith(".json") and path.is_file():
            count += sum(self.download(ref) for ref in sorted(_s3_strings(json.loads(path.read_text()))))
        return count

    def _fetch(self, bucket: str, key: str) -> None:
        target = self.bucket_dir(bucket) / key
        if target in self._downloaded:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        self._s3.download_file(bucket, key, str(target))
        self._downloaded[target] = _state(target)

    def sync_back(self) -> SyncResult:
        """Upload new and changed files, delete objects whose downloaded copy the step removed."""
        result = SyncResult()
        for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
            if path.name.endswith(".crc") or self._downloaded.get(path) == _state(path):
                continue
            bucket, key = self._bucket_and_key(path)
            self._s3.upload_file(str(path), bucket, key)
            result.uploaded.append(f"s3://{bucket}/{key}")
        for path in self._downloaded:
            if not path.exists():
                bucket, key = self._bucket_and_key(path)
                self._s3.delete_object(Bucket=bucket, Key=key)
                result.deleted.append(f"s3://{bucket}/{key}")
        return result

    def _bucket_and_key(self, path: Path) -> tuple[str, str]:
        bucket, *key = path.relative_to(self.root).parts
        return bucket, "/".join(key)


def _s3_strings(value: Any) -> set[str]:
    """Every string starting with ``s3://`` anywhere in a parsed JSON document."""
    if isinstance(value, str):
        return {value} if value.startswith(("s3://", "s3a://")) else set()
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return set().union(*(_s3_strings(child) for child in children))


def _state(path: Path) -> FileState:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns
