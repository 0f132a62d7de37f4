"""The reference recognizer: Whisper base's own decoder on the converted weights."""

from __future__ import annotations

import numpy as np
import pytest

from tiny_audio import N_SAMPLES, load_clip
from tiny_audio.reference import WhisperTranscriber

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def whisper():
    return WhisperTranscriber(device="cpu")


def test_whisper_transcribes_a_bundled_clip(whisper):
    assert whisper.transcribe(load_clip("0880").audio) == "He was not an ill-disposed young man."


def test_long_audio_goes_window_by_window(whisper):
    audio = np.concatenate([np.zeros(N_SAMPLES - 16_000, np.float32), load_clip("0930").audio])
    text = whisper.transcribe(audio)  # the clip straddles two windows; both are transcribed
    assert "amiable" in text.lower() or "himself" in text.lower()
