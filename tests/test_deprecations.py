"""Deprecated calls are caught here, before a new release of a dependency prints warnings
into every lesson (see ``fail_on_deprecations`` in conftest.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
CLIP = REPO / "tiny_audio" / "data" / "librivox" / "sense_and_sensibility_01_austen_64kb-0870.wav"


def _function_in(path: str, source: str, name: str, scope: dict):
    """Define ``name`` from ``source`` as if it were written in the file ``path``."""
    exec(compile(source, path, "exec"), scope)
    return scope[name]


def test_a_deprecation_triggered_by_our_code_is_caught_and_names_the_package(fail_on_deprecations):
    site = os.path.join(sys.prefix, "lib", "site-packages")
    library_call = _function_in(
        os.path.join(site, "somelib", "api.py"),
        "def old_api():\n    warnings.warn('old_api is deprecated; use new_api', FutureWarning, stacklevel=2)\n",
        "old_api", {"warnings": warnings},
    )
    ours = _function_in(
        str(REPO / "tiny_audio" / "caller.py"), "def run():\n    old_api()\n", "run", {"old_api": library_call}
    )
    library_call()  # not called from tiny_audio: not ours to fix
    assert fail_on_deprecations == []
    ours()
    assert len(fail_on_deprecations) == 1
    assert fail_on_deprecations[0].startswith("FutureWarning from somelib, called from tiny_audio/caller.py:2")
    fail_on_deprecations.clear()  # caught, as it should be: let this test pass


def test_a_deprecation_logged_by_transformers_is_caught(fail_on_deprecations):
    logger = logging.getLogger("transformers.some_module")
    ours = _function_in(
        str(REPO / "tiny_audio" / "caller.py"),
        "def run():\n    logger.warning('`past_key_values` is deprecated. Use `cache` instead.')\n",
        "run", {"logger": logger},
    )
    logger.warning("an ordinary warning")  # not from our code, and not a deprecation
    assert fail_on_deprecations == []
    ours()
    assert len(fail_on_deprecations) == 1
    assert fail_on_deprecations[0].startswith("transformers logged a deprecation, called from tiny_audio/caller.py:2")
    fail_on_deprecations.clear()


@pytest.mark.slow
def test_the_command_line_prints_no_warning():
    """`tiny-audio transcribe` with every deprecation warning shown: stderr holds progress
    bars and notes, never a warning."""
    env = dict(os.environ, PYTHONWARNINGS="always::DeprecationWarning,always::FutureWarning")
    result = subprocess.run(
        [sys.executable, "-m", "tiny_audio.cli", "transcribe", str(CLIP)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "Warning" in line or "deprecat" in line.lower()]
    assert not warned, "warnings on the command line:\n" + "\n".join(warned)
