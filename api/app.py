"""The Flask application factory."""

from __future__ import annotations

import os

from flask import Flask

from api import alerts, comments, errors, health, webhooks
from vigie.runtime import Runtime
from vigie.settings import Settings


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the web app; tests pass their own settings, production reads the environment."""
    if runtime is None:
        runtime = Runtime(settings or Settings.from_env(os.environ))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["vigie"] = runtime
    errors.register(app)
    for blueprint in (webhooks.bp, comments.bp, health.bp, alerts.bp):
        app.register_blueprint(blueprint)
    return app
