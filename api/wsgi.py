"""Entry point for gunicorn: `gunicorn api.wsgi:app`."""

import os

from api.app import create_app
from vigie.observability import setup_process
from vigie.settings import Settings

settings = Settings.from_env(os.environ)
setup_process(settings, "web")
app = create_app(settings)
