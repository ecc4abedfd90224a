"""One output format per output location (issue #20: switching `--format` into the same `--out`
silently left a mix of Parquet and CSV days): a different format there is bad input, exit 2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from tests.pipeline.conftest import Served, export


def _files(out: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in out.rglob("*"):
        if path.is_file() and "date=" in str(path.parent):
            found[path.suffix] = found.get(path.suffix, 0) + 1
    return found


def test_a_second_format_into_the_same_output_is_refused(served: Served, tmp_path: Path) -> None:
    day = (served.clock.now() - timedelta(days=2)).date()
    window = ("--start", str(day), "--end", str(day + timedelta(days=1)))
    first = export(served, tmp_path, *window, "--dataset", "conversation_aggregates")
    assert first.code == 0, first.stderr
    marker = json.loads((tmp_path / "out" / "_gcexport.json").read_text(encoding="utf-8"))
    assert marker["format"] == "parquet"
    before = _files(tmp_path / "out")
    assert set(before) == {".parquet", ".json"} or set(before) == {".parquet"}, before
    second = export(
        served, tmp_path, *window, "--dataset", "conversation_aggregates", "--format", "csv"
    )
    assert second.code == 2, second.stderr
    assert second.stderr.strip() == (
        f"gcexport: error: {(tmp_path / 'out').as_uri()} holds parquet files; one output "
        "location holds one format, so export csv to another --out (or keep --format parquet)."
    )
    assert _files(tmp_path / "out") == before  # nothing written
    again = export(served, tmp_path, *window, "--dataset", "conversation_aggregates")
    assert again.code == 0, again.stderr
