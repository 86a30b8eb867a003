"""kombu's Redis transport, with one fix: closing after a lost connection cannot crash the worker.

When Redis goes away, Celery 5.7's consumer first `collect()`s the broken connection, which
detaches it from its transport (`transport.client = None`), then closes it. If the first close
did not finish (the channel was waiting in BRPOP when the socket died), the second one restores
the unacknowledged tasks and rebuilds the channel's connection pool from `transport.client`:
kombu reads `None.hostname`, an AttributeError that neither kombu nor Celery counts as a
connection error, and the worker exits with "Unrecoverable error" instead of reconnecting
(seen in `tests/faults/test_dependency_restarts.py`: a Redis restart with tasks in flight).

Here a channel whose transport has no client raises redis's ConnectionError instead, which
kombu's cleanup ignores as it should; the worker then reconnects. The unacknowledged tasks stay
in Redis's unacked set and come back after the visibility timeout, and Vigie's sweep re-enqueues
their comments after VIGIE_RESCUE_AFTER anyway.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection was already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
