"""Entry point for the `celery` command: `celery -A workers.main worker|beat`."""

import os

from vigie.observability import setup_process
from vigie.settings import Settings
from workers.app import create_celery

settings = Settings.from_env(os.environ)
setup_process(settings, "worker")
app = create_celery(settings)
