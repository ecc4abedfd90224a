"""Redaction: one function masks every known secret in every quoted or escaped form, before encoding."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from gcexport.audit import AuditLog
from gcexport.errors import AuthError, ConfigError
from gcexport.redact import RedactingStream, redact, redact_data, register

HOSTILE = 'pa"ss\\word-7f3e'  # a secret holding a quote and a backslash


@pytest.fixture(autouse=True)
def _registered() -> None:
    register([HOSTILE])


@pytest.mark.parametrize(
    "text",
    [
        f"login failed for secret {HOSTILE}",
        json.dumps({"error": HOSTILE}),
        json.dumps(json.dumps({"error": HOSTILE})),
        repr(HOSTILE),
        f"https://x.example/?s={quote(HOSTILE, safe='')}",
    ],
)
def test_every_form_of_a_registered_secret_is_masked(text: str) -> None:
    masked = redact(text)
    assert "***" in masked
    assert "ss\\word" not in masked and "ss\\\\word" not in masked and "word-7f3e" not in masked


def test_credentials_are_masked_by_shape_even_when_never_registered() -> None:
    assert redact("Authorization: Bearer eyJhbGci.x-y_z") == "Authorization: Bearer ***"
    assert redact("postgres://me:hunter2-zz@db.example/x") == "postgres://me:***@db.example/x"
    assert redact("http://127.0.0.1:9/api") == "http://127.0.0.1:9/api"  # a port is no password


def test_secret_environment_variables_are_masked_without_registration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "env-only-Pw-991")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws/Secret+Key-0042")
    text = redact("pw env-only-Pw-991 key aws/Secret+Key-0042 or aws%2FSecret%2BKey-0042")
    assert text == "pw *** key *** or ***"


def test_redact_data_masks_keys_and_nested_values() -> None:
    data = {"error": f"x {HOSTILE}", "list": [HOSTILE, 3], HOSTILE: None}
    assert redact_data(data) == {"error": "x ***", "list": ["***", 3], "***": None}


def test_error_messages_are_redacted_when_made() -> None:
    # Other tests in this process register other secrets (the registry is per process), so only
    # this test's secret and the words around it are asserted.
    message = str(AuthError(f"the login server said: bad pass-phrase '{HOSTILE}'"))
    assert message.endswith("'***'") and HOSTILE not in message and "word-7f3e" not in message
    assert HOSTILE not in str(ConfigError(f"Unsupported warehouse URL {HOSTILE!r}"))


def test_audit_log_masks_a_secret_holding_quotes_and_backslashes(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    secret = 'q"uo\\te-Secret-51'
    with AuditLog(path, run_id="r1", secrets=[secret]) as audit:
        audit.write("note", text=f"echo {secret}", nested={"k": [secret]})
    raw = path.read_bytes()
    assert b"uo\\\\te" not in raw and b"te-Secret-51" not in raw
    assert json.loads(raw)["text"] == "echo ***" and json.loads(raw)["nested"] == {"k": ["***"]}


def test_redacting_stream_masks_what_is_written() -> None:
    inner = io.StringIO()
    stream = RedactingStream(inner)
    assert stream.write(f"gcexport: error: {HOSTILE}\n") == len(HOSTILE) + 18
    assert inner.getvalue() == "gcexport: error: ***\n"
