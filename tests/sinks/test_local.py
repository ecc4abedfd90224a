"""Local-disk specifics: destination checks, markers, staging, crash recovery, raw pages, manifests."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path
from urllib.parse import unquote

import orjson
import pytest

from gcexport.errors import ConfigError, DestinationError
from gcexport.sinks import FileSink, open_file_sink
from tests.sinks.sink_targets import DAY, segments


def commit_rows(sink: FileSink, n: int, *, run_id: str = "r1") -> None:
    with sink.open_partition("segments", DAY, run_id=run_id) as writer:
        writer.write(segments(n))


def test_check_writable_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    open_file_sink(out).check_writable()
    assert not (tmp_path / "new").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_foreign_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(DestinationError, match="not written by gcexport"):
        open_file_sink(tmp_path).check_writable()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    with pytest.raises(DestinationError, match="not a folder"):
        open_file_sink(tmp_path / "out").check_writable()


def test_an_unwritable_folder_is_refused(tmp_path: Path) -> None:
    """A read-only place refuses even root: sysfs, or a folder without write permission."""
    with pytest.raises(DestinationError, match="cannot write"):
        open_file_sink("/sys/gcexport-test/out").check_writable()
    if os.geteuid() != 0:
        tmp_path.chmod(0o500)
        try:
            with pytest.raises(DestinationError, match="cannot write"):
                open_file_sink(tmp_path / "out").check_writable()
        finally:
            tmp_path.chmod(0o700)


def test_our_own_folder_passes_once_marked(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path)
    (tmp_path / "gcexport.duckdb").write_bytes(b"")  # the default warehouse may come first
    sink.check_writable()
    commit_rows(sink, 2)
    assert (tmp_path / "_gcexport.json").is_file()
    (tmp_path / "notes.txt").write_text("mine")
    open_file_sink(tmp_path).check_writable()


def test_partition_result_describes_the_published_files(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path, fmt="jsonl", rows_per_file=4)
    writer = sink.open_partition("segments", DAY, run_id="r1")
    writer.write(segments(6))
    result = writer.commit()
    assert (result.table, result.partition_date, result.rows) == ("segments", DAY, 6)
    assert [f.rows for f in result.files] == [4, 2]
    for record in result.files:
        data = Path(unquote(record.uri.removeprefix("file://"))).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (record.bytes, record.sha256)
    assert sorted(p.name for p in (tmp_path / "segments" / "date=2026-11-20").iterdir()) == sorted(
        [*(Path(f.uri).name for f in result.files), "_manifest.json"]
    )


def test_an_empty_partition_is_published_with_zero_rows(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path)
    commit_rows(sink, 3)
    with sink.open_partition("segments", DAY, run_id="r2") as writer:
        writer.write(segments(0))
    assert sink.count_rows("segments", DAY) == 0
    assert sink.list_partitions("segments") == [DAY]


def test_list_partitions_sorts_dates_and_ignores_unpublished(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path)
    later = DAY.replace(day=22)
    for day in (later, DAY):
        with sink.open_partition("segments", day, run_id="r1") as writer:
            writer.write(segments(1, day=day))
    unfinished = sink.open_partition("segments", DAY.replace(day=25), run_id="r1")
    unfinished.write(segments(1))
    assert sink.list_partitions("segments") == [DAY, later]
    assert sink.list_partitions("queues") == []
    unfinished.abort()
    assert not (tmp_path / ".staging").exists() or not list((tmp_path / ".staging").iterdir())


def test_a_crash_between_the_two_renames_is_repaired_on_open(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path)
    commit_rows(sink, 3)
    # The state a crash leaves after "partition -> .staging/<tag>/old" and before "new -> partition".
    work = tmp_path / ".staging" / "r2-abcdef"
    work.mkdir(parents=True)
    (work / "_target").write_text("segments/date=2026-11-20")
    (tmp_path / "segments" / "date=2026-11-20").rename(work / "old")
    assert open_file_sink(tmp_path).count_rows("segments", DAY) == 3
    assert not work.exists()


def test_a_writer_that_dies_without_abort_never_shows(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path)
    commit_rows(sink, 3)
    dead = sink.open_partition("segments", DAY, run_id="r2")
    dead.write(segments(50))
    del dead  # the process "dies": no commit, no abort
    assert open_file_sink(tmp_path).count_rows("segments", DAY) == 3


def test_raw_pages_are_gzipped_jsonl_one_page_per_line(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path)
    pages = [b'{"conversations": [1, 2]}', b'{\n  "conversations": [3]\n}\n']
    record = sink.write_raw_pages("conversation_details", DAY, "r1", iter(pages))
    path = tmp_path / "_raw" / "conversation_details" / "date=2026-11-20" / "r1.jsonl.gz"
    assert record.uri == path.as_uri() and record.rows == 2
    lines = gzip.decompress(path.read_bytes()).splitlines()
    assert [orjson.loads(line) for line in lines] == [
        {"conversations": [1, 2]},
        {"conversations": [3]},
    ]
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_manifest_lists_files(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path)
    writer = sink.open_partition("segments", DAY, run_id="r1")
    writer.write(segments(2))
    files = [f.to_dict() for f in writer.commit().files]
    record = sink.write_manifest("r1", {"run_id": "r1", "files": files})
    saved = orjson.loads((tmp_path / "_manifests" / "r1.json").read_bytes())
    assert saved["files"] == files and record.rows == 1
    assert set(files[0]) == {"uri", "rows", "bytes", "sha256"}


def test_publish_file_writes_whole_files(tmp_path: Path) -> None:
    record = open_file_sink(tmp_path).publish_file("report/index.html", b"<html/>", "text/html")
    assert (tmp_path / "report" / "index.html").read_bytes() == b"<html/>"
    assert record.bytes == 7


def test_presign_needs_s3(tmp_path: Path) -> None:
    from datetime import timedelta

    with pytest.raises(DestinationError, match="s3://"):
        open_file_sink(tmp_path).presign(["file:///x"], timedelta(hours=1))


def test_destination_urls(tmp_path: Path) -> None:
    assert open_file_sink(f"file://{tmp_path}").storage.uri("a") == (tmp_path / "a").as_uri()
    with pytest.raises(DestinationError, match="ftp"):
        open_file_sink("ftp://host/x")
    with pytest.raises(ConfigError, match="bucket"):
        open_file_sink("s3:///prefix")
    with pytest.raises(ConfigError, match="format"):
        open_file_sink(tmp_path, fmt="xlsx")


def test_a_writer_commits_once(tmp_path: Path) -> None:
    from gcexport.errors import SinkError

    writer = open_file_sink(tmp_path).open_partition("segments", DAY, run_id="r1")
    writer.write(segments(1))
    writer.commit()
    with pytest.raises(SinkError, match="already committed"):
        writer.commit()
    with pytest.raises(SinkError, match="already committed"):
        writer.write(segments(1))


def test_threads_writing_the_same_small_file_at_once_all_succeed(tmp_path: Path) -> None:
    import threading

    from gcexport.sinks.storage import LocalStorage

    storage = LocalStorage(tmp_path / "out")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait(timeout=20)
        try:
            for _ in range(50):
                storage.put_bytes(
                    "_gcexport.json", f'{{"writer": {n}}}'.encode(), "application/json"
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert (tmp_path / "out" / "_gcexport.json").read_text() in {
        f'{{"writer": {n}}}' for n in range(8)
    }
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "_gcexport.json"
    ]  # no leftovers
