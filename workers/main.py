"""Entry point for the `celery` command: `celery -A workers.main worker|beat`."""

import os
from typing import Any

from celery.signals import worker_process_init

from vigie.observability import setup_process
from vigie.settings import Settings, exit_on_bad_settings
from workers.app import create_celery
from workers.tasks import runtime, warm_up

with exit_on_bad_settings():
    settings = Settings.from_env(os.environ)
setup_process(settings, "worker")
settings.data_dir.mkdir(parents=True, exist_ok=True)  # beat keeps its schedule file there
app = create_celery(settings)


@worker_process_init.connect
def _warm_up(**_: Any) -> None:
    """Load the scorer and the rules when a worker process starts, not on its first comment."""
    warm_up(runtime(app))
