"""A missing optional driver is bad input: one sentence naming the extra, exit 2, nothing written.

The driver is blocked in a real subprocess (`sys.modules[name] = None` makes its import fail, as
when it is not installed); the wheel test in tests/packaging does the same in a venv without extras.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clean_env

CREDS = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": "xyz"}
WINDOW = ["--start", "2026-01-01", "--end", "2026-01-02"]
BLOCKED_RUN = (
    "import sys\n"
    "for name in sys.argv[1].split(','):\n"
    "    sys.modules[name] = None\n"
    "from gcexport.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


@pytest.mark.parametrize(
    ("blocked", "args", "env", "advice"),
    [
        ("boto3,botocore", ["export", "--out", "s3://bucket/exports", *WINDOW], CREDS,
         "an s3:// destination needs the Python package boto3, which is not installed: "
         "pip install 'gcexport[s3]'"),
        ("snowflake,snowflake.connector",
         ["export", "--warehouse", "snowflake://u@acct/DB/SCH?warehouse=W", *WINDOW],
         {**CREDS, "SNOWFLAKE_PASSWORD": "pw"},
         "a snowflake:// warehouse needs the Python package snowflake.connector, which is not "
         "installed: pip install 'gcexport[snowflake]'"),
        ("snowflake,snowflake.connector",
         ["report", "--warehouse", "snowflake://u@acct/DB/SCH?warehouse=W"],
         {"SNOWFLAKE_PASSWORD": "pw"},
         "a snowflake:// warehouse needs the Python package snowflake.connector, which is not "
         "installed: pip install 'gcexport[snowflake]'"),
        ("boto3,botocore", ["report", "--presign", "24h", "--set-out"], {},
         "an s3:// destination needs the Python package boto3, which is not installed: "
         "pip install 'gcexport[s3]'"),
    ],
)  # fmt: skip
def test_missing_extra_is_one_sentence_and_exit_2(
    tmp_path: Path, blocked: str, args: list[str], env: dict[str, str], advice: str
) -> None:
    configured = args[-1] == "--set-out"
    if configured:  # the report shares through the configured s3:// output
        (tmp_path / "c.toml").write_text('[export]\nout = "s3://bucket/exports"\n')
        args = [*args[:-1], "--config", "c.toml", "--warehouse", "duckdb:///nowhere.duckdb"]
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, blocked, *args],
        cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"gcexport: error: {advice}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == (["c.toml"] if configured else [])
