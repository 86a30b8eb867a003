"""Security review: constant-time signature checks, and secrets read only from env or *_FILE."""

from __future__ import annotations

import ast
import hmac
from pathlib import Path
from unittest import mock

import pytest
from flask.testing import FlaskClient

from moderation import signing
from moderation.signing import SignatureError, meta_signature, vigie_signature
from vigie.settings import Settings

NOW = 1_764_000_000
ROOT = Path(__file__).resolve().parents[2]


def _spy() -> mock.MagicMock:
    return mock.patch.object(
        signing.hmac, "compare_digest", autospec=True, side_effect=hmac.compare_digest
    )


def test_it_compares_every_vigie_candidate_in_constant_time() -> None:
    """Each v1= value goes through hmac.compare_digest, even after one has matched."""
    good = vigie_signature("s", b"{}", NOW).split("v1=")[1]
    with _spy() as spy:
        signing.verify_vigie_signature("s", b"{}", f"t={NOW},v1={good},v1={'0' * 64}", NOW)
    assert spy.call_count == 2
    # As bytes: a str with a non-ASCII character would make compare_digest raise (a 500).
    assert {call.args[1] for call in spy.call_args_list} == {good.encode(), b"0" * 64}


def test_it_compares_meta_signatures_in_constant_time() -> None:
    """X-Hub-Signature-256 is compared with hmac.compare_digest, not ==."""
    with _spy() as spy, pytest.raises(SignatureError):
        signing.verify_meta_signature("s", b"{}", "sha256=" + "0" * 64)
    spy.assert_called_once_with(meta_signature("s", b"{}").encode(), b"sha256=" + b"0" * 64)


def test_it_compares_the_meta_verify_token_in_constant_time(client: FlaskClient) -> None:
    """The subscription check compares hub.verify_token with hmac.compare_digest."""
    with mock.patch("api.webhooks.hmac.compare_digest", autospec=True, return_value=False) as spy:
        answer = client.get(
            "/v1/webhooks/meta",
            query_string={"hub.mode": "subscribe", "hub.verify_token": "meta-verify-token"},
        )
    assert answer.status_code == 403, "the answer follows compare_digest, so it is the check"
    spy.assert_called_once_with(b"meta-verify-token", b"meta-verify-token")


def _secret_names() -> list[str]:
    return [
        "SENTRY_DSN",
        "META_APP_SECRET",
        "META_VERIFY_TOKEN",
        "VIGIE_SECRET_KEY",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "VIGIE_SOURCE_ACME_SECRET",
    ]


@pytest.mark.parametrize("name", _secret_names())
def test_it_reads_each_secret_from_a_file(tmp_path: Path, name: str) -> None:
    """Every secret can come from NAME_FILE (a mounted secret), and the file wins over NAME."""
    path = tmp_path / "secret"
    path.write_text("from-the-file\n")
    environ = {"VIGIE_SOURCES": "acme", "VIGIE_SOURCE_ACME_SECRET": "x", name: "from-env"}
    environ[f"{name}_FILE"] = str(path)
    settings = Settings.from_env(environ)
    values = {
        "SENTRY_DSN": settings.sentry_dsn,
        "META_APP_SECRET": settings.meta_app_secret,
        "META_VERIFY_TOKEN": settings.meta_verify_token,
        "VIGIE_SECRET_KEY": settings.secret_key,
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "VIGIE_SOURCE_ACME_SECRET": settings.sources["acme"].secret,
    }
    assert values[name] == "from-the-file"


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("environ", "environb", "getenv")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _environment_reads() -> list[str]:
    """Every os.environ / os.getenv use in the shipped packages, as 'path:line: code'."""
    found = []
    for package in ("api", "alerts", "moderation", "rules", "vigie", "workers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(source)):
                if _is_os_environ(node):
                    line = source.splitlines()[node.lineno - 1].strip()
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {line}")
    return found


def test_it_reads_the_environment_only_through_settings() -> None:
    """Outside vigie/settings.py, os.environ is only ever handed to Settings.from_env."""
    stray = [
        use
        for use in _environment_reads()
        if not use.startswith("vigie/settings.py") and "Settings.from_env(os.environ)" not in use
    ]
    assert _environment_reads(), "the scan must see the entry points that pass os.environ"
    assert stray == []
