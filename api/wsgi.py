"""Entry point for gunicorn: `gunicorn api.wsgi:app`."""

import os

from api.app import create_app
from vigie.observability import setup_process
from vigie.settings import Settings, exit_on_bad_settings

with exit_on_bad_settings(exit_code=3):  # gunicorn halts: worker failed to boot
    settings = Settings.from_env(os.environ)
setup_process(settings, "web")
app = create_app(settings)
