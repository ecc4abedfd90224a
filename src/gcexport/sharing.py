"""Sharing a report: publish the HTML next to the exported files on S3 and print a presigned link.

Example::

    url = share_report(settings, Path("report.html"), expires=timedelta(hours=24))
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gcexport.config import Settings, parse_duration
from gcexport.errors import ConfigError
from gcexport.extras import import_extra
from gcexport.run.plan import MAX_PRESIGN

__all__ = ["parse_presign", "share_report"]


def parse_presign(text: str, *, out: str) -> timedelta:
    """Validate a `--presign` duration for the output `out` (S3 only, at most 7 days)."""
    duration = parse_duration(text)
    if duration > MAX_PRESIGN or duration <= timedelta(0):
        raise ConfigError(f"--presign {text!r} must be between 1 second and 7 days (S3's limit).")
    if not out.startswith("s3://"):
        raise ConfigError(
            "--presign needs an s3:// output (export.out); local files have no links to share."
        )
    import_extra("boto3", extra="s3", purpose="an s3:// destination")  # before writing anything
    return duration


def share_report(settings: Settings, path: Path, *, expires: timedelta) -> str:
    """Upload `path` under `<out>/_reports/` (server-side encrypted) and return a presigned GET link."""
    from gcexport.sinks import open_file_sink

    e = settings.export
    sink = open_file_sink(e.out, fmt=e.format, sse=e.sse, kms_key_id=e.kms_key_id)
    record = sink.publish_file(
        f"_reports/{path.name}", path.read_bytes(), "text/html; charset=utf-8"
    )
    return sink.presign([record.uri], expires)[record.uri]
