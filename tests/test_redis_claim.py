"""A Redis db number claimed by a test run or a load benchmark that crashed is not lost for an
hour: a later run on the same host takes over a claim whose process is gone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis

from tests import redis_claim
from tests.redis_claim import Owner

pytestmark = pytest.mark.redis


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    """The run's own db (VIGIE_TEST_REDIS_DB), with claim keys of this test's own: the run's
    claim (vigie-test-run) is left alone."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def key(client: redis.Redis) -> Iterator[str]:
    name = f"vigie-claim-test-{uuid.uuid4().hex[:8]}"
    yield name
    client.delete(name)


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _value(client: redis.Redis, key: str) -> dict[str, object]:
    raw = client.get(key)
    assert raw is not None
    return dict(json.loads(raw))


def test_a_free_db_is_claimed_with_this_process_as_owner(client: redis.Redis, key: str) -> None:
    claim = redis_claim.claim(client, key, ttl=60)
    assert claim is not None and claim.gone == ()
    assert _value(client, key)["pid"] == os.getpid()
    assert _value(client, key)["host"] == socket.gethostname()
    assert 0 < client.ttl(key) <= 60


def test_a_claim_by_a_dead_process_is_taken_over(client: redis.Redis, key: str) -> None:
    dead = Owner(host=socket.gethostname(), pid=_dead_pid(), started=None)
    client.set(key, dead.encode(), ex=3600)
    claim = redis_claim.claim(client, key, ttl=60)
    assert claim is not None and claim.gone == (dead,)
    assert _value(client, key)["pid"] == os.getpid()
    assert 0 < client.ttl(key) <= 60


def test_a_claim_by_a_live_process_is_kept(client: redis.Redis, key: str) -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as live:
        try:
            owner = Owner(
                host=socket.gethostname(), pid=live.pid, started=redis_claim.start_time(live.pid)
            )
            client.set(key, owner.encode(), ex=3600)
            assert redis_claim.claim(client, key, ttl=60) is None
            assert _value(client, key)["pid"] == live.pid
        finally:
            live.kill()


def test_a_reused_pid_does_not_keep_a_dead_claim(client: redis.Redis, key: str) -> None:
    """The pid is alive but started at another time: another process now has that number."""
    reused = Owner(host=socket.gethostname(), pid=os.getppid(), started="1")
    client.set(key, reused.encode(), ex=3600)
    claim = redis_claim.claim(client, key, ttl=60)
    assert claim is not None and claim.gone == (reused,)


def test_a_claim_from_another_host_is_kept_until_it_expires(client: redis.Redis, key: str) -> None:
    """Whether a process on another host is alive cannot be told from here."""
    elsewhere = Owner(host="elsewhere.invalid", pid=_dead_pid(), started=None)
    client.set(key, elsewhere.encode(), ex=3600)
    assert redis_claim.claim(client, key, ttl=60) is None


def test_an_old_style_claim_is_kept_until_it_expires(client: redis.Redis, key: str) -> None:
    """A marker "1" from a checkout before owners were recorded (a benchmark still running)."""
    client.set(key, "1", ex=3600)
    assert redis_claim.claim(client, key, ttl=60) is None
    assert client.get(key) == b"1"


def test_a_live_claim_under_another_key_keeps_the_db(client: redis.Redis, key: str) -> None:
    """A test run does not take the db of a running load benchmark, and the reverse."""
    other = f"{key}-other"
    client.set(other, "1", ex=60)
    try:
        assert redis_claim.claim(client, key, ttl=60, others=(other,)) is None
        client.set(other, Owner(socket.gethostname(), _dead_pid(), None).encode(), ex=60)
        assert redis_claim.claim(client, key, ttl=60, others=(other,)) is not None
    finally:
        client.delete(other)


def test_a_takeover_does_not_overwrite_a_claim_changed_meanwhile(
    client: redis.Redis, key: str
) -> None:
    """Two runs that both saw the dead claim: only the first replaces it."""
    dead = Owner(host=socket.gethostname(), pid=_dead_pid(), started=None).encode()
    client.set(key, dead, ex=3600)
    assert redis_claim.replace(client, key, dead, "first", ttl=60)
    assert not redis_claim.replace(client, key, dead, "second", ttl=60)
    assert client.get(key) == b"first"


def test_the_db_of_a_crashed_run_is_claimed_and_emptied(
    client: redis.Redis, key: str, redis_url: str
) -> None:
    """claim_db (the fixture's and the benchmark's search) takes over the dead run's db and
    removes what it left behind, keeping other claims."""
    db = int(redis_url.rsplit("/", 1)[1])
    client.set(key, Owner(socket.gethostname(), _dead_pid(), None).encode(), ex=3600)
    leftover = f"{key}-leftover"
    client.set(leftover, "task")
    url = redis_claim.claim_db("127.0.0.1", 6379, [db], key, ttl=60)
    assert url == redis_url
    assert client.get(leftover) is None
    assert client.get("vigie-test-run") is not None  # the run's own claim is still there
    assert _value(client, key)["pid"] == os.getpid()


@pytest.mark.parametrize("before", ["free", "dead"])
def test_a_claim_made_meanwhile_under_another_key_keeps_the_db(
    client: redis.Redis, key: str, redis_url: str, before: str
) -> None:
    """Another kind of run claims the db (or takes over a dead run's claim on it) between this
    run's look at the other keys and its own claim: the two runs must not share the db (and
    this one must not then empty it as a dead run's)."""
    other = f"{key}-other"
    if before == "dead":
        client.set(other, Owner(socket.gethostname(), _dead_pid(), None).encode(), ex=60)
    parent = os.getppid()
    live = Owner(socket.gethostname(), parent, redis_claim.start_time(parent)).encode()

    class Racing(redis.Redis):
        """Lets the other run claim the db just before this client's first write."""

        raced = False

        def execute_command(self, *args: object, **options: object) -> object:
            if not Racing.raced and args[0] in ("SET", "EVAL", "EVALSHA"):
                Racing.raced = True
                client.set(other, live, ex=60)
            return super().execute_command(*args, **options)

    racing = Racing.from_url(redis_url)
    try:
        assert redis_claim.claim(racing, key, ttl=60, others=(other,)) is None
        assert client.get(key) is None
        assert client.get(other) == live.encode()
    finally:
        racing.close()
        client.delete(other)
