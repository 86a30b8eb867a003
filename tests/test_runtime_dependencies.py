"""What the service imports at run time is installed by its runtime dependencies alone.

The test environment installs more (pytest, playwright, transformers…), so a package the
service imports but does not declare works in every test and fails in production: kombu's
Redis transport imports `packaging`, which only kombu's `redis` extra installs, and a
`make run` install with Redis as the broker could not start a worker. This runs what the
Procfile's processes import, and the default scorer, in a fresh interpreter where every
installed distribution outside the closure of Vigie's runtime requirements (no extras) cannot
be imported, as on a production install. Optional imports (SQLAlchemy's greenlet, structlog's
rich) fall back as they would there; a required one fails the test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

# What `vigie run`, the Procfile's web, worker and beat processes, and the default scorer load.
ENTRY_CODE = """
import importlib, importlib.abc, json, sys

BLOCKED = set(json.loads(sys.argv[1]))


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not a runtime dependency)")
        return None


sys.meta_path.insert(0, NotInstalled())
for name in (
    "vigie.cli", "api.wsgi", "api.gunicorn_worker", "workers.main", "workers.broker",
    "workers.redis_transport", "kombu.transport.redis", "kombu.transport.sqlalchemy",
    "celery.bin.worker", "celery.bin.beat", "celery.apps.worker", "celery.apps.beat",
    "gunicorn.app.wsgiapp", "alerts.service", "alerts.transports", "alerts.chart",
):
    importlib.import_module(name)
from moderation.scorers import build_scorer
build_scorer("default").score_batch(["Great service, thanks!", "Colis jamais arrivé."])
print("ok")
"""
OWN_PACKAGES = {"moderation", "alerts", "rules", "workers", "api", "vigie"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure() -> set[str]:
    """Distributions installed by `pip install vigie` (no extras), recursively."""
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [("vigie", frozenset())]
    expanded: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in expanded:
            continue
        expanded.add((name, extras))
        seen.add(name)
        for line in metadata.requires(name) or []:
            req = Requirement(line)
            wanted = req.marker is None or any(
                req.marker.evaluate({"extra": extra}) for extra in ("", *extras)
            )
            if wanted:
                todo.append((canonical(req.name), frozenset(req.extras)))
    return seen


def test_what_the_service_imports_is_a_runtime_dependency() -> None:
    closure = runtime_closure()
    blocked = sorted(
        module
        for module, dists in metadata.packages_distributions().items()
        if module not in OWN_PACKAGES
        and module not in sys.stdlib_module_names
        and not {canonical(d) for d in dists} & closure
    )
    assert "pytest" in blocked  # the test environment's own packages are out of reach
    out = subprocess.run(
        [sys.executable, "-c", ENTRY_CODE, json.dumps(blocked)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


def test_the_closure_follows_extras() -> None:
    closure = runtime_closure()
    assert {"kombu", "celery", "flask", "redis"} <= closure
    assert "pytest" not in closure and "torch" not in closure
