"""Schemathesis against the served /v1/openapi.json: no 500, only documented statuses."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.openapi import spec
from moderation.models import Comment
from moderation.review.accounts import SCOPES, create_token
from moderation.review.models import Role
from tests.hostile.conftest import EXAMPLES, SigningMiddleware, count
from tests.queue.conftest import NOW, add_item, add_user
from vigie.runtime import Runtime


def signing(app: Flask, runtime: Runtime) -> SigningMiddleware:
    """The app behind a signer, with an admin token holding every scope and a queued item."""
    with runtime.sessions.begin() as db:
        admin = add_user(db, "fuzz-admin", Role.ADMIN)
        token = create_token(db, admin, "fuzz", list(SCOPES), NOW)
        add_item(db)
    return SigningMiddleware(app, token.secret)


def _comments(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Comment)) or 0)


LABELS = [f"{m.upper()} {path}" for path, ops in spec()["paths"].items() for m in ops]
# No input that can break its schema: no parameters, or free-form strings only.
NOTHING_TO_BREAK = {"GET /healthz", "GET /readyz", "POST /slack/interactions"}
CASES = [(label, GenerationMode.POSITIVE) for label in LABELS] + [
    (label, GenerationMode.NEGATIVE) for label in LABELS if label not in NOTHING_TO_BREAK
]


def fuzz_operation(
    app: Flask,
    runtime: Runtime,
    label: str,
    mode: GenerationMode,
    tag: str = "",
    examples: int = EXAMPLES,
) -> None:
    """Run schemathesis on one operation of the served description, signed, with the checks."""
    served = schemathesis.openapi.from_wsgi("/v1/openapi.json", signing(app, runtime))
    operation = served.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def fuzz(case: schemathesis.Case) -> None:
        before = _comments(runtime)
        response = case.call()
        count(f"schemathesis {tag}{mode.value} {label}")
        case.validate_response(
            response,
            checks=[not_a_server_error, status_code_conformance, content_type_conformance],
        )
        if response.status_code >= 300:
            assert _comments(runtime) == before

    fuzz()


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_it_answers_every_fuzzed_request_with_a_documented_status(
    label: str, mode: GenerationMode, app: Flask, runtime: Runtime
) -> None:
    """Any generated request gets a documented 2xx/4xx, never a 500; a refusal stores nothing.

    Positive cases follow the schemas (and reach the parsers, signed); negative ones break them.
    """
    fuzz_operation(app, runtime, label, mode)


def test_it_describes_every_public_route(app: Flask, client: object, session: Session) -> None:
    """/v1/openapi.json describes each route and method the app serves, bar the HTML pages."""
    described = {
        (path, method)
        for path, ops in app.test_client().get("/v1/openapi.json").json["paths"].items()
        for method in ops
    }
    served = {
        (
            rule.rule.replace("<int:", "{")
            .replace("<path:", "{")
            .replace("<", "{")
            .replace(">", "}"),
            m.lower(),
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] not in ("pages", "alert_pages", "static", "openapi")
        for m in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == described
