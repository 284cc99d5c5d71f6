"""Cutting the network inside a test, to prove that a replay needs none."""

from __future__ import annotations

import socket
from typing import Any

import pytest


class NetworkCut:
    """Inside ``with network_cut:`` every socket connect fails, loopback included, and is
    noted in ``attempts``: a replay that needs the network cannot pass."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []
        self._patch = pytest.MonkeyPatch()

    def __enter__(self) -> NetworkCut:
        attempts = self.attempts

        def refuse(sock: socket.socket, address: Any) -> None:
            attempts.append(address)
            raise OSError(101, f"network unreachable in this test (connect to {address!r})")

        def refuse_ex(sock: socket.socket, address: Any) -> int:
            attempts.append(address)
            return 101

        self._patch.setattr(socket.socket, "connect", refuse)
        self._patch.setattr(socket.socket, "connect_ex", refuse_ex)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._patch.undo()
