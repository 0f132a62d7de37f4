"""Weight conversion in real processes: killed midway it leaves no broken cache entry, and
two processes converting into the same cache at once both end with a loadable model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tiny_audio.weights.cache import CACHE_ENV, COMPLETE_MARKER

pytestmark = pytest.mark.slow

MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the slower conversion (~15 s): easy to catch midway
CONVERT = f"from tiny_audio import weights; print(weights.locate({MODEL_ID!r}))"


def _converter(cache: Path) -> subprocess.Popen:
    env = {**os.environ, CACHE_ENV: str(cache)}
    return subprocess.Popen([sys.executable, "-c", CONVERT], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _entries(cache: Path) -> list[Path]:
    models = cache / "models"
    return sorted(models.iterdir()) if models.is_dir() else []


def test_a_conversion_killed_midway_leaves_no_finished_looking_entry_and_reruns_cleanly(tmp_path):
    process = _converter(tmp_path)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".partial") for p in _entries(tmp_path)):  # wait until it is writing
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the conversion never started writing"
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up: as if the laptop died
    process.wait()

    final = tmp_path / "models" / MODEL_ID.replace("/", "--")
    assert not final.exists()  # only the .partial debris is left, never a half-written final folder

    rerun = _converter(tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert out.strip() == str(final) and (final / COMPLETE_MARKER).is_file()
    assert (final / "model.safetensors").stat().st_size > 100 * 2**20


def test_two_processes_converting_at_once_both_get_a_complete_model(tmp_path):
    first, second = _converter(tmp_path), _converter(tmp_path)
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [err for _, err in results]
    final = tmp_path / "models" / MODEL_ID.replace("/", "--")
    assert [out.strip() for out, _ in results] == [str(final)] * 2
    assert (final / COMPLETE_MARKER).is_file()
    assert [p.name for p in _entries(tmp_path)] == [final.name]  # the loser's temporary folder is gone

    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(final).config.hidden_size == 576
