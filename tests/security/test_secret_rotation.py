"""Rotating an inbound signing secret without a window of 401s.

A source's secret (VIGIE_SOURCE_<NAME>_SECRET), Meta's app secret and verify token, and Slack's
signing secret each take a `_PREVIOUS` companion while they are rotated: requests signed with
either are accepted, anything else is refused as before (401, same message), and the checks stay
constant-time (every secret compared, even after a match).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from moderation import signing
from moderation.signing import SignatureError, meta_signature, vigie_signature
from tests.conftest import make_settings
from tests.support import comment, facebook_feed, meta_headers, signed, signed_get
from vigie import migrate
from vigie.runtime import Runtime
from vigie.settings import Settings, SettingsError

NEW, OLD, WRONG = "new-secret-0123456789", "old-secret-0123456789", "wrong-secret-0123456789"
META_NEW, META_OLD = "meta-new-secret", "meta-old-secret"
TOKEN_NEW, TOKEN_OLD = "meta-new-verify-token", "meta-old-verify-token"
SLACK_NEW, SLACK_OLD = "slack-new-secret", "slack-old-secret"
NOW = 1_764_000_000


@pytest.fixture
def rotating(tmp_path: Path) -> Iterator[tuple[FlaskClient, Runtime]]:
    """acme, Meta (app secret and verify token) and Slack each mid-rotation: the new secret
    set, the old one as _PREVIOUS."""
    settings = make_settings(
        tmp_path,
        VIGIE_SOURCE_ACME_SECRET=NEW,
        VIGIE_SOURCE_ACME_SECRET_PREVIOUS=OLD,
        META_APP_SECRET=META_NEW,
        META_APP_SECRET_PREVIOUS=META_OLD,
        META_VERIFY_TOKEN=TOKEN_NEW,
        META_VERIFY_TOKEN_PREVIOUS=TOKEN_OLD,
        SLACK_SIGNING_SECRET=SLACK_NEW,
        SLACK_SIGNING_SECRET_PREVIOUS=SLACK_OLD,
        VIGIE_ENQUEUE_WAIT=0,
    )
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    yield create_app(runtime=runtime).test_client(), runtime
    runtime.close()


def test_a_source_signing_with_the_old_or_the_new_secret_is_accepted(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    client, _ = rotating
    for n, secret in enumerate((OLD, NEW)):
        body, headers = signed(comment(f"c{n}"), secret=secret)
        answer = client.post("/v1/comments", data=body, headers=headers)
        assert answer.status_code == 202, (secret, answer.json)
        path = f"/v1/comments/x/c{n}"
        assert client.get(path, headers=signed_get(path, secret=secret)).status_code == 200
    # Both values in one header (the source signs with both while it switches) is fine too.
    body = json.dumps(comment("c2")).encode()
    both = (
        f"{vigie_signature(OLD, body, int(time.time()))},v1="
        + vigie_signature(NEW, body, int(time.time())).split("v1=")[1]
    )
    headers = {"X-Vigie-Source": "acme", "X-Vigie-Signature": both}
    assert client.post("/v1/comments", data=body, headers=headers).status_code == 202


def test_a_wrong_secret_is_still_refused_with_the_same_message(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    client, _ = rotating
    body, headers = signed(comment("c9"), secret=WRONG)
    answer = client.post("/v1/comments", data=body, headers=headers)
    assert answer.status_code == 401
    assert answer.json == {
        "error": "bad_signature",
        "detail": "X-Vigie-Signature: signature does not match the body"
        " (check X-Vigie-Source and that source's secret)",
    }
    # Another source's secret does not open acme, nor acme's previous secret another source.
    body, headers = signed(comment("c9"), secret=OLD, source="other")
    assert client.post("/v1/comments", data=body, headers=headers).status_code == 401


def test_meta_posts_signed_with_the_old_or_the_new_app_secret_are_accepted(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    client, _ = rotating
    for n, secret in enumerate((META_OLD, META_NEW)):
        body = json.dumps(facebook_feed((f"1000_{n}", "Bonjour"))).encode()
        answer = client.post("/v1/webhooks/meta", data=body, headers=meta_headers(body, secret))
        assert answer.status_code == 200, (secret, answer.json)
        assert answer.json["stored"] == 1
    body = json.dumps(facebook_feed(("1000_9", "Bonjour"))).encode()
    answer = client.post("/v1/webhooks/meta", data=body, headers=meta_headers(body, WRONG))
    assert answer.status_code == 401
    assert answer.json == {
        "error": "bad_signature",
        "detail": "X-Hub-Signature-256: signature does not match the body",
    }


def _subscribe(client: FlaskClient, token: str) -> object:
    query = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
    return client.get("/v1/webhooks/meta", query_string=query)


def test_meta_subscription_checks_with_the_old_or_the_new_verify_token_are_answered(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    """META_VERIFY_TOKEN_PREVIOUS: Meta's check with either token echoes the challenge."""
    client, _ = rotating
    for token in (TOKEN_OLD, TOKEN_NEW):
        answer = _subscribe(client, token)
        assert answer.status_code == 200, (token, answer.get_json())
        assert answer.get_data(as_text=True) == "1158201444"
    refused = _subscribe(client, WRONG)
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": "forbidden",
        "detail": "hub.verify_token does not match",
    }


def test_every_verify_token_is_compared_in_constant_time_even_after_a_match(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    """Both tokens go through hmac.compare_digest, whichever one matched."""
    client, _ = rotating
    with mock.patch(
        "api.webhooks.hmac.compare_digest", autospec=True, side_effect=hmac.compare_digest
    ) as spy:
        assert _subscribe(client, TOKEN_NEW).status_code == 200
    assert [call.args for call in spy.call_args_list] == [
        (TOKEN_NEW.encode(), TOKEN_NEW.encode()),
        (TOKEN_NEW.encode(), TOKEN_OLD.encode()),
    ]


def _slack_click(client: FlaskClient, secret: str) -> int:
    """A click with a payload Vigie does not understand: 400 past the signature, 401 before."""
    body = urllib.parse.urlencode({"payload": json.dumps({"type": "nothing"})}).encode()
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return client.post("/slack/interactions", data=body, headers=headers).status_code


def test_slack_clicks_signed_with_the_old_or_the_new_signing_secret_are_accepted(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    client, _ = rotating
    assert _slack_click(client, SLACK_OLD) == 400
    assert _slack_click(client, SLACK_NEW) == 400
    assert _slack_click(client, WRONG) == 401


def test_callbacks_are_signed_with_the_new_and_the_old_secret(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    """A source's and Meta's callbacks carry a signature per secret while they rotate, the
    new one first (tests/moderation/test_delivery.py sends them to a receiver)."""
    _, runtime = rotating
    assert runtime.callback_secrets("acme") == (NEW, OLD)
    assert runtime.callback_secrets("meta") == (META_NEW, META_OLD)
    assert runtime.callback_secrets("other") == ("other-secret",)
    assert runtime.callback_secrets("gone") == ()


def _spy() -> mock.MagicMock:
    return mock.patch.object(
        signing.hmac, "compare_digest", autospec=True, side_effect=hmac.compare_digest
    )


def test_every_secret_is_compared_in_constant_time_even_after_a_match() -> None:
    good = vigie_signature("old", b"{}", NOW).split("v1=")[1]
    with _spy() as spy:
        signing.verify_vigie_signature(("new", "old"), b"{}", f"t={NOW},v1={good}", NOW)
    assert spy.call_count == 2  # the new secret's signature, then the old one's: no shortcut
    with _spy() as spy:
        signing.verify_meta_signature(("a", "b"), b"{}", meta_signature("a", b"{}"))
    assert spy.call_count == 2
    with pytest.raises(SignatureError, match="does not match the body"):
        signing.verify_vigie_signature(("new", "old"), b"{}", f"t={NOW},v1={'0' * 64}", NOW)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"VIGIE_SOURCES": "acme", "VIGIE_SOURCE_ACME_SECRET_PREVIOUS": "x"},
            "VIGIE_SOURCE_ACME_SECRET: missing secret",
        ),
        (
            {"META_APP_SECRET_PREVIOUS": "x"},
            "META_APP_SECRET_PREVIOUS: set only while rotating, together with META_APP_SECRET",
        ),
        (
            {"META_VERIFY_TOKEN_PREVIOUS": "x"},
            "META_VERIFY_TOKEN_PREVIOUS: set only while rotating, together with META_VERIFY_TOKEN",
        ),
        (
            {"SLACK_SIGNING_SECRET_PREVIOUS": "x"},
            "SLACK_SIGNING_SECRET_PREVIOUS: set only while rotating, together with",
        ),
        (
            {
                "VIGIE_ENV": "production",
                "VIGIE_SECRET_KEY": "k" * 32,
                "VIGIE_SOURCES": "acme",
                "VIGIE_SOURCE_ACME_SECRET": "s" * 16,
                "VIGIE_SOURCE_ACME_SECRET_PREVIOUS": "short",
            },
            "VIGIE_SOURCE_ACME_SECRET_PREVIOUS: production needs at least 16 characters",
        ),
    ],
    ids=[
        "source-without-secret",
        "meta-without-secret",
        "verify-token-without-token",
        "slack-without-secret",
        "short",
    ],
)
def test_a_previous_secret_is_checked_at_start_up(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_a_previous_secret_can_come_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "old"
    path.write_text("from-the-file\n")
    settings = Settings.from_env(
        {
            "VIGIE_SOURCES": "acme",
            "VIGIE_SOURCE_ACME_SECRET": "new",
            "VIGIE_SOURCE_ACME_SECRET_PREVIOUS_FILE": str(path),
            "META_APP_SECRET": "m",
            "META_APP_SECRET_PREVIOUS_FILE": str(path),
            "META_VERIFY_TOKEN": "t",
            "META_VERIFY_TOKEN_PREVIOUS_FILE": str(path),
        }
    )
    assert settings.sources["acme"].secrets == ("new", "from-the-file")
    assert settings.meta_app_secrets == ("m", "from-the-file")
    assert settings.meta_verify_tokens == ("t", "from-the-file")
    assert Settings.from_env({"VIGIE_SOURCES": "acme", "VIGIE_SOURCE_ACME_SECRET": "new"}).sources[
        "acme"
    ].secrets == ("new",)


SESSION_OLD, SESSION_NEW = "o" * 32, "n" * 32


def _pages(tmp_path: Path, **keys: str) -> Iterator[FlaskClient]:
    settings = make_settings(tmp_path, **keys)
    migrate.upgrade(settings.database_url)
    runtime = Runtime(settings)
    app = create_app(runtime=runtime)
    app.config["TESTING"] = True
    yield app.test_client()
    runtime.close()


def test_moderators_stay_logged_in_while_the_session_key_is_rotated(tmp_path: Path) -> None:
    """VIGIE_SECRET_KEY_PREVIOUS: sessions and open pages' CSRF tokens outlive the restart."""
    from tests.queue.conftest import add_user
    from tests.queue.test_pages import csrf, log_in

    before = _pages(tmp_path, VIGIE_SECRET_KEY=SESSION_OLD)
    client = next(before)
    with Runtime(make_settings(tmp_path)).sessions() as session:
        add_user(session, "mia")
        session.commit()
    log_in(client, "mia")
    token = csrf(client, "/queue")  # a form on a page left open across the restart
    cookie = client.get_cookie("vigie_session")
    assert cookie is not None
    next(before, None)

    rotating = _pages(tmp_path, VIGIE_SECRET_KEY=SESSION_NEW, VIGIE_SECRET_KEY_PREVIOUS=SESSION_OLD)
    client = next(rotating)
    client.set_cookie("vigie_session", cookie.value)
    assert client.get("/queue").status_code == 200
    answer = client.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    next(rotating, None)

    # Without the previous key the same cookie is a stranger's: back to the login page.
    rotated = _pages(tmp_path, VIGIE_SECRET_KEY=SESSION_NEW)
    client = next(rotated)
    client.set_cookie("vigie_session", cookie.value)
    assert client.get("/queue").headers["Location"].startswith("/login")
    next(rotated, None)


def test_the_previous_session_key_is_checked_at_start_up() -> None:
    environ = {
        "VIGIE_ENV": "production",
        "VIGIE_SOURCES": "acme",
        "VIGIE_SOURCE_ACME_SECRET": "s" * 16,
        "VIGIE_SECRET_KEY": SESSION_NEW,
    }
    with pytest.raises(SettingsError, match="VIGIE_SECRET_KEY_PREVIOUS: production needs"):
        Settings.from_env({**environ, "VIGIE_SECRET_KEY_PREVIOUS": "short"})
    with pytest.raises(SettingsError, match="VIGIE_SECRET_KEY_PREVIOUS: set only while rotating"):
        Settings.from_env({"VIGIE_SECRET_KEY_PREVIOUS": SESSION_OLD})
    assert Settings.from_env({**environ, "VIGIE_SECRET_KEY_PREVIOUS": SESSION_OLD})


def test_a_signature_with_non_ascii_characters_is_a_401_not_a_500(
    rotating: tuple[FlaskClient, Runtime],
) -> None:
    """Headers arrive as latin-1: an `é` in a signature is refused like any wrong signature."""
    client, _ = rotating
    body, headers = signed(comment("c-latin1"), NEW)
    headers["X-Vigie-Signature"] += ",v1=\u00e9"
    answer = client.post("/v1/comments", data=body, headers=headers)
    assert answer.status_code == 202, "the valid v1 next to it still signs the body"
    headers["X-Vigie-Signature"] = headers["X-Vigie-Signature"].split(",")[0] + ",v1=\u00e9"
    answer = client.post("/v1/comments", data=body, headers=headers)
    assert answer.status_code == 401, answer.json
    body = json.dumps(facebook_feed(("1000_7", "Bonjour"))).encode()
    answer = client.post(
        "/v1/webhooks/meta", data=body, headers={"X-Hub-Signature-256": "sha256=\u00e9"}
    )
    assert answer.status_code == 401, answer.json
