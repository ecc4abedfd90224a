"""Staging left by a killed run is swept once a later run has published everything (local and S3)."""

from __future__ import annotations

from pathlib import Path

import boto3

from gcexport.sinks import open_file_sink
from tests.sinks.sink_targets import DAY, segments

KILLED = "20260301T000000Z-dead01-beef02"  # a run that started earlier and never finished
LIVE = "20260302T000000Z-abc123"


def test_a_killed_runs_local_staging_is_swept_by_the_next_manifest(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path / "out")
    with sink.open_partition("segments", DAY, run_id="20260301T000000Z-aaaaaa") as writer:
        writer.write(segments(3))
    leftover = tmp_path / "out" / ".staging" / KILLED / "new"
    leftover.mkdir(parents=True)
    (leftover / "part.parquet").write_bytes(b"half a file")
    later = tmp_path / "out" / ".staging" / "20990101T000000Z-later1-222222"
    later.mkdir(parents=True)  # a run that started after this one: not ours to remove
    sink.write_manifest(LIVE, {"files": []})
    assert sorted(p.name for p in (tmp_path / "out" / ".staging").iterdir()) == [later.name]
    assert sink.count_rows("segments", DAY) == 3


def test_a_killed_runs_s3_staging_keys_are_swept(s3_bucket: str) -> None:
    s3 = boto3.client("s3")
    for key in (f"p/.staging/{KILLED}/a.parquet", "p/.staging/20990101T000000Z-x-y/b.parquet"):
        s3.put_object(Bucket=s3_bucket, Key=key, Body=b"half")
    sink = open_file_sink(f"s3://{s3_bucket}/p")
    sink.write_manifest(LIVE, {"files": []})
    listing = s3.list_objects_v2(Bucket=s3_bucket, Prefix="p/.staging/")
    assert sorted(o["Key"] for o in listing.get("Contents", [])) == [
        "p/.staging/20990101T000000Z-x-y/b.parquet"
    ]
