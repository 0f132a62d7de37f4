"""Shared fixtures: no network, and one embedded model loaded once per test session."""

from __future__ import annotations

import os
import socket

import pytest

# Tests never reach the network: transformers and huggingface_hub stay offline, and any
# connection to a non-loopback address fails the test that tried it.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        raise RuntimeError(f"test tried to open a network connection to {address!r}; tests must run offline")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only


@pytest.fixture(scope="session")
def embedded_model():
    """The embedded preset with its real weights, on the CPU (loaded once: ~5 s warm)."""
    from tiny_audio import ASRModel

    return ASRModel.from_pretrained("embedded", device="cpu")
