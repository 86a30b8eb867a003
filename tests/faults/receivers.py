"""A decision-callback receiver on loopback that is down (503, or connection refused) until told
otherwise; it records each signed delivery it accepts (tests/support.py's CallbackReceiver)."""

from __future__ import annotations

import socket
from collections.abc import Callable

from tests.support import CallbackReceiver


class SwitchableReceiver(CallbackReceiver):
    """Answers 503 while `down()` is true, else records the callback and answers 200."""

    def __init__(self, down: Callable[[], bool], port: int = 0) -> None:
        super().__init__(down=down, port=port)


def refusing_port() -> int:
    """A loopback port nothing listens on (connections are refused) until someone binds it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
