"""GET /v1/comments/<platform>/<id>, health and readiness."""

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from api.app import create_app
from tests.conftest import make_settings
from tests.support import comment, signed, signed_get
from vigie.runtime import Runtime
from workers.tasks import score


def test_it_returns_the_comment_with_its_decision(client: FlaskClient, app: Flask) -> None:
    """Before scoring the decision is null; after, it carries action, scores and versions."""
    body, headers = signed(comment("c9", text="You stupid fucking idiot, go kill yourself"))
    client.post("/v1/comments", data=body, headers=headers)
    path = "/v1/comments/x/c9"
    pending = client.get(path, headers=signed_get(path))
    assert pending.status_code == 200
    assert pending.json["comment"]["status"] == "pending"
    assert pending.json["decision"] is None

    runtime: Runtime = app.extensions["vigie"]
    assert score(runtime, [1]) == []  # what the worker's task runs; no callback configured

    decided = client.get(path, headers=signed_get(path)).json
    assert decided["comment"]["status"] == "decided"
    assert decided["decision"]["action"] == "remove"
    assert decided["decision"]["scores"]["toxicity"] > 0.9
    assert decided["decision"]["rules_version"]
    assert "harassment" in decided["decision"]["tags"]  # tell-to-die
    assert decided["decision"]["review_priority"] is None, "a removal goes to no queue"
    assert decided["decision"]["callbacks"] == []


def test_it_hides_comments_from_other_sources(client: FlaskClient) -> None:
    """A source cannot read another source's comment, nor read unsigned."""
    body, headers = signed(comment("mine"))
    client.post("/v1/comments", data=body, headers=headers)
    path = "/v1/comments/x/mine"
    other = client.get(path, headers=signed_get(path, secret="other-secret", source="other"))
    assert other.status_code == 404
    assert client.get(path, headers={"X-Vigie-Source": "acme"}).status_code == 401
    replayed = client.get("/v1/comments/x/other", headers=signed_get(path))
    assert replayed.status_code == 401, "a signature covers one path only"


def test_it_reports_health_and_readiness(client: FlaskClient) -> None:
    """healthz is ok; readyz checks the database and the broker and shows the rules version."""
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "broker": "ok", "rules": "ok"}
    assert ready.json["detail"]["rules"]["version"]


def test_it_is_not_ready_on_a_database_that_is_not_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A deploy that skipped `vigie db upgrade`: not 'unreachable', and says what to run."""
    from vigie import migrate

    settings = make_settings(tmp_path)
    for revision in (None, "0005"):  # no tables at all; one migration behind
        if revision:
            migrate.upgrade(settings.database_url, revision)
        response = create_app(settings).test_client().get("/readyz")
        assert response.status_code == 503
        database = response.json["checks"]["database"]
        assert database.startswith("not migrated") and "vigie db upgrade" in database
    assert f"at 0005, this code needs {', '.join(sorted(migrate.head_revisions()))}" in database
    migrate.upgrade(settings.database_url)
    assert create_app(settings).test_client().get("/readyz").json["checks"]["database"] == "ok"
    # Ahead (the next release migrated it during a rolling deploy): this process stays ready.
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_next'"))
    engine.dispose()
    assert create_app(settings).test_client().get("/readyz").json["checks"]["database"] == "ok"


def test_it_stays_ready_but_degraded_when_the_broker_is_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """readyz names the unreachable broker, as degraded, and stays 200: webhooks still store.

    (tests/api/test_readiness.py stops a real Redis under a running app.)
    """
    settings = make_settings(tmp_path, BROKER_URL="redis://127.0.0.1:1/0")
    from vigie import migrate

    migrate.upgrade(settings.database_url)
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["checks"]["database"] == "ok"
    # Refused at once, or (on a loaded machine) not answered within the readiness budget.
    assert response.json["checks"]["broker"].startswith(("unreachable", "no answer within"))
    assert "broker" in response.json["detail"]["degraded"]
