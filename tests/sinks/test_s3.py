"""S3 specifics over moto's server: encryption at rest, presigned links, staging, foreign prefixes."""

from __future__ import annotations

from datetime import timedelta

import boto3
import httpx
import pytest

from gcexport.errors import DestinationError
from gcexport.sinks import open_file_sink
from tests.sinks.sink_targets import DAY, segments


def keys(bucket: str, prefix: str = "") -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def test_every_object_is_encrypted_with_aes256_by_default(s3_bucket: str) -> None:
    sink = open_file_sink(f"s3://{s3_bucket}/exports")
    with sink.open_partition("segments", DAY, run_id="r1") as writer:
        writer.write(segments(3))
    sink.write_manifest("r1", {"files": []})
    sink.write_raw_pages("conversation_details", DAY, "r1", [b'{"page": 1}'])
    client = boto3.client("s3")
    written = keys(s3_bucket)
    assert len(written) == 5  # marker, part file, partition manifest, run manifest, raw pages
    for key in written:
        assert client.head_object(Bucket=s3_bucket, Key=key)["ServerSideEncryption"] == "AES256"


def test_kms_encryption_names_the_key(s3_bucket: str) -> None:
    key_id = boto3.client("kms").create_key()["KeyMetadata"]["KeyId"]
    sink = open_file_sink(f"s3://{s3_bucket}/x", sse="aws:kms", kms_key_id=key_id)
    result = sink.open_partition("segments", DAY, run_id="r1")
    result.write(segments(2))
    uri = result.commit().files[0].uri
    head = boto3.client("s3").head_object(Bucket=s3_bucket, Key=uri.split("/", 3)[3])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith(key_id)


def test_presigned_links_download_the_right_bytes(s3_bucket: str) -> None:
    sink = open_file_sink(f"s3://{s3_bucket}/exports", fmt="csv")
    with sink.open_partition("segments", DAY, run_id="r1") as writer:
        writer.write(segments(4))
    report = sink.publish_file("report/index.html", b"<h1>KPIs</h1>", "text/html")
    links = sink.presign([report.uri], timedelta(hours=24))
    response = httpx.get(links[report.uri], timeout=10)
    assert response.status_code == 200
    assert response.content == b"<h1>KPIs</h1>"
    assert "X-Amz-Expires=86400" in links[report.uri]


def test_presigned_partition_file_matches_its_recorded_sha256(s3_bucket: str) -> None:
    import hashlib

    sink = open_file_sink(f"s3://{s3_bucket}/exports")
    writer = sink.open_partition("segments", DAY, run_id="r1")
    writer.write(segments(10))
    file = writer.commit().files[0]
    body = httpx.get(sink.presign([file.uri], timedelta(days=7))[file.uri], timeout=10).content
    assert (len(body), hashlib.sha256(body).hexdigest()) == (file.bytes, file.sha256)


@pytest.mark.parametrize("expires", [timedelta(days=7, seconds=1), timedelta(0)])
def test_presign_beyond_s3s_seven_days_is_refused(s3_bucket: str, expires: timedelta) -> None:
    sink = open_file_sink(f"s3://{s3_bucket}/exports")
    with pytest.raises(DestinationError, match="7 days"):
        sink.presign([f"s3://{s3_bucket}/exports/x.parquet"], expires)


def test_staging_keys_are_gone_after_commit_and_after_abort(s3_bucket: str) -> None:
    sink = open_file_sink(f"s3://{s3_bucket}/p")
    sink.rows_per_file = 2
    with sink.open_partition("segments", DAY, run_id="r1") as writer:
        writer.write(segments(5))
    aborted = sink.open_partition("segments", DAY, run_id="r2")
    aborted.write(segments(4))
    aborted.write(segments(4))  # rolls over: a staged file is already uploaded
    aborted.abort()
    names = keys(s3_bucket)
    assert not [k for k in names if "/.staging/" in k]
    data = [k for k in names if k.startswith("p/segments/") and k.endswith(".parquet")]
    assert len(data) == 3  # 5 rows at 2 rows per file
    assert sink.count_rows("segments", DAY) == 5


def test_reload_deletes_the_previous_loads_objects(s3_bucket: str) -> None:
    sink = open_file_sink(f"s3://{s3_bucket}/p")
    for run in ("r1", "r2"):
        with sink.open_partition("segments", DAY, run_id=run) as writer:
            writer.write(segments(3))
    data = [k for k in keys(s3_bucket, "p/segments/") if k.endswith(".parquet")]
    assert len(data) == 1 and "/r2-" in data[0]


def test_check_writable_leaves_nothing_behind(s3_bucket: str) -> None:
    open_file_sink(f"s3://{s3_bucket}/fresh").check_writable()
    assert keys(s3_bucket) == []


def test_a_foreign_prefix_is_refused(s3_bucket: str) -> None:
    boto3.client("s3").put_object(Bucket=s3_bucket, Key="theirs/data.csv", Body=b"a,b\n")
    with pytest.raises(DestinationError, match="not written by gcexport"):
        open_file_sink(f"s3://{s3_bucket}/theirs").check_writable()


def test_a_missing_bucket_is_an_unusable_destination(s3_endpoint: str) -> None:
    with pytest.raises(DestinationError, match=r"NoSuchBucket|404|bucket"):
        open_file_sink("s3://no-such-bucket-gcx/x").check_writable()
