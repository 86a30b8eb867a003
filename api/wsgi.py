"""Entry point for gunicorn: `gunicorn api.wsgi:app`."""

import os

from api.app import create_app
from vigie.observability import setup_process
from vigie.settings import from_env_or_exit

settings = from_env_or_exit(os.environ, exit_code=3)  # gunicorn: worker failed to boot
setup_process(settings, "web")
app = create_app(settings)
