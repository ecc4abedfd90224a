"""Files on S3 (or any S3-compatible endpoint via `AWS_ENDPOINT_URL`), encrypted at rest.

Publication: part files are uploaded to `<prefix>/.staging/<tag>/…` as they are finished, then on
commit copied to `<table>/date=D/<tag>-NNNNN.ext` (names unique per load), then the partition's
`_manifest.json` is written — the commit point: it lists exactly the partition's files — and only
then are the previous load's files and the staging keys deleted. A reader that follows
`_manifest.json` never sees a mixed or partial partition; one that lists the folder may, for the
seconds between the copies and the deletes, see the old and the new files side by side.

Example::

    storage = S3Storage("my-bucket", "exports/genesys", sse="AES256")
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from gcexport.errors import DestinationError, SinkError
from gcexport.extras import import_extra
from gcexport.sinks.storage import MARKER, MARKER_BYTES, STAGING, left_behind

__all__ = ["MAX_PRESIGN", "S3Storage"]

MAX_PRESIGN = timedelta(days=7)  # S3's limit for SigV4 presigned URLs
MANIFEST = "_manifest.json"


class S3Storage:
    """Objects under `s3://bucket/prefix`, written with server-side encryption."""

    def __init__(
        self, bucket: str, prefix: str, *, sse: str = "AES256", kms_key_id: str | None = None
    ) -> None:
        boto3 = import_extra("boto3", extra="s3", purpose="an s3:// destination")  # lazy
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        if sse not in ("AES256", "aws:kms"):
            raise DestinationError(f"unknown server-side encryption {sse!r}; use AES256 or aws:kms")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self._extra: dict[str, str] = {"ServerSideEncryption": sse}
        if sse == "aws:kms" and kms_key_id:
            self._extra["SSEKMSKeyId"] = kms_key_id
        # SigV4 everywhere: the 7-day presign bound is SigV4's, and KMS-encrypted objects need it.
        try:
            self._client: Any = boto3.client("s3", config=Config(signature_version="s3v4"))
        except (ValueError, BotoCoreError) as exc:  # e.g. a malformed AWS_ENDPOINT_URL
            raise DestinationError(f"cannot set up S3 for s3://{bucket}: {exc}") from exc
        self._staged: dict[str, list[str]] = {}
        self._marked = False

    def __repr__(self) -> str:
        return f"S3Storage({self.uri('')!r}, sse={self._extra['ServerSideEncryption']!r})"

    def key(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def uri(self, relpath: str) -> str:
        return f"s3://{self.bucket}/{self.key(relpath)}".rstrip("/")

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, method)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise SinkError(f"S3 {what} failed ({code}) for s3://{self.bucket}") from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise SinkError(f"S3 {what} failed for s3://{self.bucket}: {exc}") from exc

    def check_writable(self) -> None:
        """DestinationError unless the bucket can be written and the prefix holds nothing foreign."""
        try:
            self._call("head bucket", "head_bucket", Bucket=self.bucket)
            listing = self._call(
                "list", "list_objects_v2", Bucket=self.bucket, Prefix=self.key(""), MaxKeys=2
            )
            probe = self.key(f".gcexport-probe-{secrets.token_hex(6)}")
            self._call(
                "write", "put_object", Bucket=self.bucket, Key=probe, Body=b"", **self._extra
            )
            self._call("delete", "delete_object", Bucket=self.bucket, Key=probe)
        except SinkError as exc:
            raise DestinationError(
                f"{exc} — check the bucket name, credentials and permissions"
            ) from exc
        if listing.get("KeyCount", 0) and self.read_bytes(MARKER) is None:
            raise DestinationError(
                f"{self.uri('')} is not empty and was not written by gcexport (no {MARKER}); "
                "choose an empty prefix"
            )

    def ensure_marker(self) -> None:
        if not self._marked and self.read_bytes(MARKER) is None:
            self.put_bytes(MARKER, MARKER_BYTES, "application/json")
        self._marked = True

    def staging_dir(self, tag: str) -> Path:
        """A local folder for one writer's files until they are uploaded to staging keys."""
        path = Path(tempfile.gettempdir()) / f"gcexport-s3-{tag}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def stage_file(self, tag: str, path: Path) -> None:
        """Upload a finished part file to its staging key and free the local disk."""
        key = self.key(f"{STAGING}/{tag}/{path.name}")
        self._upload(key, path, "application/octet-stream")
        self._staged.setdefault(tag, []).append(key)
        path.unlink()

    def publish_partition(self, rel_dir: str, tag: str, names: list[str]) -> list[str]:
        """Copy staged files in, write the partition manifest, then delete the old files."""
        for name in names:
            source = {"Bucket": self.bucket, "Key": self.key(f"{STAGING}/{tag}/{name}")}
            self._call(
                "copy",
                "copy_object",
                Bucket=self.bucket,
                Key=self.key(f"{rel_dir}/{name}"),
                CopySource=source,
                **self._extra,
            )
        local_manifest = self.staging_dir(tag) / MANIFEST
        self._upload(self.key(f"{rel_dir}/{MANIFEST}"), local_manifest, "application/json")
        keep = {self.key(f"{rel_dir}/{n}") for n in [*names, MANIFEST]}
        old = [k for k in self._list_keys(self.key(f"{rel_dir}/")) if k not in keep]
        self._delete([*old, *self._staged.pop(tag, [])])
        shutil.rmtree(self.staging_dir(tag), ignore_errors=True)
        return [self.uri(f"{rel_dir}/{name}") for name in names]

    def discard(self, tag: str) -> None:
        self._delete(self._staged.pop(tag, []))
        shutil.rmtree(self.staging_dir(tag), ignore_errors=True)

    def sweep_staging(self, run_id: str) -> int:
        """Delete staging keys left by runs that started before `run_id`; how many went."""
        prefix = self.key(f"{STAGING}/")
        keys = [
            k
            for k in self._list_keys(prefix)
            if left_behind(k[len(prefix) :].split("/")[0], run_id)
        ]
        self._delete(keys)
        return len(keys)

    def put_bytes(self, relpath: str, data: bytes, content_type: str) -> str:
        self._call(
            "write",
            "put_object",
            Bucket=self.bucket,
            Key=self.key(relpath),
            Body=data,
            ContentType=content_type,
            **self._extra,
        )
        return self.uri(relpath)

    def put_file(self, relpath: str, path: Path, content_type: str) -> str:
        self._upload(self.key(relpath), path, content_type)
        path.unlink()
        return self.uri(relpath)

    def read_bytes(self, relpath: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self._client.get_object(Bucket=self.bucket, Key=self.key(relpath))["Body"]
            return bytes(body.read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise SinkError(f"S3 read failed for {self.uri(relpath)}") from exc
        except BotoCoreError as exc:
            raise SinkError(f"S3 read failed for {self.uri(relpath)}: {exc}") from exc

    def fetch(self, relpath: str, into: Path) -> Path:
        """Download `relpath` into the folder `into` and return the local path."""
        target = into / relpath.rsplit("/", 1)[-1]
        self._call(
            "download",
            "download_file",
            Bucket=self.bucket,
            Key=self.key(relpath),
            Filename=str(target),
        )
        return target

    def list_dirs(self, rel_dir: str) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.key(f"{rel_dir}/"), Delimiter="/"
        )
        names = [
            p["Prefix"].rstrip("/").rsplit("/", 1)[-1]
            for page in self._pages(pages)
            for p in page.get("CommonPrefixes", [])
        ]
        return sorted(names)

    def list_files(self, rel_dir: str) -> list[str]:
        """Names of the objects directly under `rel_dir/`."""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.key(f"{rel_dir}/"), Delimiter="/"
        )
        names = [
            obj["Key"].rsplit("/", 1)[-1]
            for page in self._pages(pages)
            for obj in page.get("Contents", [])
        ]
        return sorted(names)

    def create_exclusive(self, relpath: str, data: bytes) -> bool:
        """PUT `relpath` only if absent (S3 conditional write, `If-None-Match: *`)."""
        from botocore.exceptions import ClientError

        try:
            self._client.put_object(
                Bucket=self.bucket, Key=self.key(relpath), Body=data, IfNoneMatch="*", **self._extra
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                return False
            raise SinkError(f"S3 write failed for {self.uri(relpath)}") from exc
        return True

    def delete(self, relpath: str) -> None:
        self._call("delete", "delete_object", Bucket=self.bucket, Key=self.key(relpath))

    def presign(self, uri: str, expires: timedelta) -> str:
        """A GET link for `uri` valid for `expires` (at most S3's 7 days)."""
        if not timedelta(0) < expires <= MAX_PRESIGN:
            raise DestinationError(
                f"presigned links last between 1 second and 7 days, not {expires}"
            )
        prefix = f"s3://{self.bucket}/"
        if not uri.startswith(prefix):
            raise DestinationError(f"{uri} is not in this destination's bucket {self.bucket}")
        params = {"Bucket": self.bucket, "Key": uri[len(prefix) :]}
        url: str = self._call(
            "presign",
            "generate_presigned_url",
            ClientMethod="get_object",
            Params=params,
            ExpiresIn=int(expires.total_seconds()),
        )
        return url

    def _upload(self, key: str, path: Path, content_type: str) -> None:
        self._call(
            "upload",
            "upload_file",
            Filename=str(path),
            Bucket=self.bucket,
            Key=key,
            ExtraArgs={**self._extra, "ContentType": content_type},
        )

    def _list_keys(self, prefix: str) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        return [obj["Key"] for page in self._pages(pages) for obj in page.get("Contents", [])]

    def _pages(self, pages: Any) -> list[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return list(pages)
        except (BotoCoreError, ClientError) as exc:
            raise SinkError(f"S3 list failed for s3://{self.bucket}") from exc

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self._call("delete", "delete_objects", Bucket=self.bucket, Delete={"Objects": batch})
