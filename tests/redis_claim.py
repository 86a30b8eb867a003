"""Claims on Redis db numbers, so test runs and load benchmarks on one machine use different dbs.

A claim is a marker key in the db (`vigie-test-run` for a test run, `vigie-load-run` for
bench/load.py) whose value names its owner: host, pid and the process's start time. The key
has a TTL (an hour; a day for the benchmark, whose soaks run for hours) as a last resort; but
a run that crashed is not left holding its db until then: a later run on the same host sees
that the owner is gone (no such pid, or a pid now used by a process started at another time)
and takes the claim over.
A claim from another host, or a marker "1" from a checkout before owners were recorded, is
only freed by its TTL: whether its process is alive cannot be told from here.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

TEST_RUN_KEY = "vigie-test-run"
LOAD_RUN_KEY = "vigie-load-run"
CLAIM_KEYS = (TEST_RUN_KEY, LOAD_RUN_KEY)

# Set KEYS[1] to ARGV[#KEYS + 1] (TTL ARGV[#KEYS + 2]) only if every key still holds the value
# read, ARGV[i] ("" for none): two runs seeing the same dead one, or a run of another kind
# claiming the db between this run's look at its key and its claim.
_CLAIM = """
for i, name in ipairs(KEYS) do
    if (redis.call('GET', name) or '') ~= ARGV[i] then
        return 0
    end
end
redis.call('SET', KEYS[1], ARGV[#KEYS + 1], 'EX', ARGV[#KEYS + 2])
return 1
"""
# Replace the claim only if it still holds the value read.
_REPLACE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
    return 1
end
return 0
"""


def start_time(pid: int) -> str | None:
    """The process's start time (clock ticks after boot, /proc/<pid>/stat field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (the command) is in parentheses and may hold spaces: count from the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: str | None  # start_time(pid) when claimed; None where /proc is not available

    @classmethod
    def this_process(cls) -> Owner:
        return cls(socket.gethostname(), os.getpid(), start_time(os.getpid()))

    def encode(self) -> str:
        return json.dumps({"host": self.host, "pid": self.pid, "started": self.started})

    @classmethod
    def decode(cls, raw: bytes | str) -> Owner | None:
        """The owner a claim's value names; None for a value without one (an old "1")."""
        try:
            value = json.loads(raw)
            return cls(str(value["host"]), int(value["pid"]), value.get("started"))
        except (ValueError, TypeError, KeyError):
            return None

    def gone(self) -> bool:
        """Known to have exited: on this host, and no process of that pid started then."""
        if self.host != socket.gethostname():
            return False
        if not _alive(self.pid):
            return True
        return self.started is not None and start_time(self.pid) not in (None, self.started)


@dataclass(frozen=True)
class Claim:
    key: str
    gone: tuple[Owner, ...]  # the gone owners found (under `key` or other keys); () if none


def replace(client: redis.Redis, key: str, expected: bytes | str, value: str, ttl: int) -> bool:
    """Set `key` to `value` if it still holds `expected` (atomic)."""
    return bool(client.eval(_REPLACE, 1, key, expected, value, ttl))


def claim(client: redis.Redis, key: str, ttl: int, others: Iterable[str] = ()) -> Claim | None:
    """Claim the client's db under `key` for this process, or None if another live run holds
    it (under `key` or under one of `others`, the other kinds of run's keys).

    The claim is written only if none of these keys changed since they were read (one atomic
    script): a run of another kind claiming the db meanwhile is not overlooked.
    """
    me = Owner.this_process()
    names = [key, *dict.fromkeys(other for other in others if other != key)]
    for _ in range(3):  # a key that changed meanwhile (a claim expired, or taken): look again
        seen = [client.get(name) for name in names]
        gone: list[Owner] = []
        for name, raw in zip(names, seen, strict=True):
            if raw is None:
                continue
            owner = Owner.decode(raw)
            if name != key and owner == me:
                continue  # this process's claim of another kind
            if owner is None or not owner.gone():
                return None
            gone.append(owner)
        expected = [b"" if raw is None else raw for raw in seen]
        if client.eval(_CLAIM, len(names), *names, *expected, me.encode(), ttl):
            return Claim(key, tuple(gone))
    return None


def hold(client: redis.Redis, key: str, ttl: int) -> None:
    """Set this process's claim again (after a FLUSHDB removed it)."""
    client.set(key, Owner.this_process().encode(), ex=ttl)


def _clear(client: redis.Redis, keep: str) -> None:
    """Delete what gone runs left in the db: all but `keep` and this process's other claims."""
    me = Owner.this_process()
    for name in client.scan_iter(count=1000):
        if name.decode() == keep:
            continue
        if name.decode() in CLAIM_KEYS and Owner.decode(client.get(name) or "") == me:
            continue
        client.delete(name)


def claim_db(
    host: str,
    port: int,
    candidates: Sequence[int],
    key: str,
    ttl: int,
    others: Sequence[str] = CLAIM_KEYS,
    require_empty: bool = False,
) -> str | None:
    """The URL of the first db number in `candidates` this process could claim, or None.

    A db taken over from a gone owner is emptied of what that run left.
    `require_empty`: a free db is only claimed if it holds no key at all (one used by
    something that does not claim dbs).
    """
    for db in candidates:
        client = redis.Redis(host=host, port=port, db=db)
        try:
            claimed = [name for name in (key, *others) if client.exists(name)]
            if require_empty and client.dbsize() and not claimed:
                continue
            got = claim(client, key, ttl, others)
            if got is None:
                continue
            if got.gone:
                _clear(client, keep=key)
            return f"redis://{host}:{port}/{db}"
        finally:
            client.close()
    return None
