"""The reference recognizer: Whisper base's own decoder on the converted weights."""

from __future__ import annotations

import numpy as np
import pytest

from tiny_audio import N_SAMPLES, load_clip
from tiny_audio.evaluation.reference import FasterWhisperTranscriber, WhisperTranscriber, faster_whisper_folder
from tiny_audio.weights.cache import is_complete

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


def test_beam_search_transcribes_too():
    beam = WhisperTranscriber(device="cpu", num_beams=4)
    assert beam.transcribe(load_clip("0880").audio) == "He was not an ill-disposed young man."


def test_num_beams_must_be_positive():
    with pytest.raises(ValueError, match="positive integer"):
        WhisperTranscriber(num_beams=0)


def test_faster_whisper_runs_the_same_packaged_weights():
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed (it comes with tiny-audio[course])")
    folder = faster_whisper_folder()
    assert is_complete(folder) and sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "config.json", "model.bin", "tokenizer.json", "vocabulary.json"
    ]
    assert FasterWhisperTranscriber("int8").transcribe(load_clip("0880").audio) == "He was not an ill-disposed young man."
