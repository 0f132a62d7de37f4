"""Shared fixtures: no network, no deprecated calls, one embedded model loaded once per test
session, and a tiny random-weight model for testing the training machinery in seconds."""

from __future__ import annotations

import logging
import os
import re
import socket
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

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


# ---- a tiny random-weight model with the embedded preset's real tokenizer ------------------
# For the speed and correctness of the training loop, not transcript quality. The builders
# are plain functions too: tests/ddp_worker.py, which accelerate starts as its own process,
# imports them from here.

TINY_SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "she sells sea shells by the sea shore",
    "a stitch in time saves nine",
    "all that glitters is not gold",
    "the early bird catches the worm",
    "actions speak louder than words",
]


def make_tiny_model(seed: int = 0):
    """An ``ASRModel`` with a 1-layer 16-dim Whisper encoder and a 2-layer 32-dim Llama,
    random weights drawn from ``seed``, and SmolLM2's tokenizer (``<audio>`` added)."""
    from transformers import AutoTokenizer, LlamaConfig, WhisperConfig

    from tiny_audio import ASRConfig, ASRModel, weights
    from tiny_audio.decoder import add_audio_token

    audio = WhisperConfig(d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                          decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, num_mel_bins=80)
    text = LlamaConfig(vocab_size=49152, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = ASRModel(ASRConfig(encoder_dim=16, llm_dim=32, audio_config=audio, text_config=text))
    model.tokenizer = AutoTokenizer.from_pretrained(weights.locate("HuggingFaceTB/SmolLM2-135M-Instruct"))
    add_audio_token(model.tokenizer)
    return model


def make_tiny_features(model, folder: Path, seed: int = 0):
    """The ``FeatureCache`` of 1-2 s of noise (seeded by ``seed``) per sentence of
    ``TINY_SENTENCES`` (the tiny encoder is random anyway)."""
    from tiny_audio.data.features import FeatureCache

    rng = np.random.default_rng(seed)
    items = [(rng.standard_normal(16_000 + 4_000 * i).astype(np.float32) * 0.1, text)
             for i, text in enumerate(TINY_SENTENCES)]
    return FeatureCache.build(model, items, folder, progress=False)


@pytest.fixture
def tiny_model():
    """Builds a tiny model: ``tiny_model(seed=0)`` (see ``make_tiny_model``)."""
    return make_tiny_model


@pytest.fixture
def tiny_features():
    """Builds a tiny feature cache: ``tiny_features(model, folder, seed=0)`` (see ``make_tiny_features``)."""
    return make_tiny_features


@pytest.fixture
def tiny_sentences():
    """The transcripts in ``tiny_features``' cache, in order."""
    return TINY_SENTENCES


# ---- deprecations: a library's warning triggered by our code fails the test ----------------
# A new release of a dependency that deprecates something we call prints a warning to
# stderr in every lesson and on every command line. Turn that into a test failure that
# names the package, so the next upgrade is caught here and not by a student.

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tiny_audio")
DEPRECATION_CATEGORIES = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
# Notices a library logs against its own calls, which no call of ours can avoid: transformers
# 5.24's Whisper generate() passes generation_config and the suppress-token lists together to
# GenerationMixin.generate (its workaround for PR #48108), whatever its caller passes.
LIBRARY_INTERNAL = (re.compile(r"Passing `generation_config` together with generation-related arguments=\(\{'"
                               r"(begin_)?suppress_tokens', '(begin_)?suppress_tokens'\}\)"),)


def _package_of(filename: str) -> str:
    """The top-level package a source file belongs to ("transformers" for
    .../site-packages/transformers/generation/utils.py)."""
    parts = os.path.normpath(filename).split(os.sep)
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1 :]
            return rest[0].removesuffix(".py") if rest else filename
    if filename.startswith(PACKAGE_DIR):
        return "tiny_audio"
    return os.path.basename(filename)


def _our_frame(stack) -> str | None:
    """The innermost ``file:line`` of ours in a call stack, or None when our code is not on it."""
    for frame in reversed(stack):
        if frame.filename.startswith(PACKAGE_DIR):
            return f"{os.path.relpath(frame.filename, os.path.dirname(PACKAGE_DIR))}:{frame.lineno}"
    return None


class _DeprecationLog(logging.Handler):
    """Collects the deprecation notices libraries print through logging (transformers
    does, with ``logger.warning_once``), when our code is on the call stack."""

    def __init__(self, found: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        where = _our_frame(traceback.extract_stack())
        message = record.getMessage()
        if where and "deprecat" in message.lower() and not any(known.search(message) for known in LIBRARY_INTERNAL):
            package = record.name.split(".")[0]
            self.found.append(f"{package} logged a deprecation, called from {where}: {message}")


@pytest.fixture(autouse=True)
def fail_on_deprecations():
    """Fail the test when code of ours makes a library warn that something is deprecated.

    Yields the list of what was found so far (one line each), which a test may inspect."""
    found: list[str] = []

    def show(message, category, filename, lineno, file=None, line=None):
        stack = traceback.extract_stack()[:-1]  # this function's caller and up
        where = _our_frame(stack)
        if where is not None:
            # warnings.warn attributes the warning to a caller (its stacklevel); the package
            # that issued it is the innermost frame outside the warnings machinery.
            issuer = next(f.filename for f in reversed(stack) if os.path.basename(f.filename) != "warnings.py")
            found.append(f"{category.__name__} from {_package_of(issuer)}, called from {where}: {message}")

    log = _DeprecationLog(found)
    loggers = [logging.getLogger(name) for name in ("transformers", "accelerate", "huggingface_hub")]
    with warnings.catch_warnings():
        for category in DEPRECATION_CATEGORIES:
            warnings.simplefilter("always", category)
        warnings.showwarning = show
        for logger in loggers:
            logger.addHandler(log)
        try:
            yield found
        finally:
            for logger in loggers:
                logger.removeHandler(log)
    if found:
        pytest.fail("a dependency deprecates something tiny_audio uses; move to its current API:\n" + "\n".join(found),
                    pytrace=False)
