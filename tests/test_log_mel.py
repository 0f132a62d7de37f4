"""Stage 2: log-mel in torch matches transformers' WhisperFeatureExtractor."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import WhisperFeatureExtractor

from tiny_audio.data.clips import load_clips
from tiny_audio.log_mel import (
    FRAMES_PER_SECOND,
    N_FRAMES,
    N_SAMPLES,
    log_mel_spectrogram,
    mel_filters,
    n_mel_frames,
    pad_or_trim,
)
from tiny_audio.sampling import SAMPLE_RATE

TOLERANCE = 1e-3  # max abs difference allowed against the reference, in log-mel units


def inputs() -> dict[str, np.ndarray]:
    """Each bundled clip, plus 5 s of noise and 40 s of noise (cut to 30 s)."""
    rng = np.random.default_rng(0)
    audio = {f"clip-{clip.name}": clip.audio for clip in load_clips()}
    audio["noise-5s"] = (0.1 * rng.standard_normal(5 * SAMPLE_RATE)).astype(np.float32)
    audio["noise-40s"] = (0.1 * rng.standard_normal(40 * SAMPLE_RATE)).astype(np.float32)
    return audio


INPUTS = inputs()


@pytest.mark.parametrize("n_mels", [80, 128])
@pytest.mark.parametrize("name", list(INPUTS))
def test_matches_whisper_feature_extractor(n_mels, name):
    audio = INPUTS[name]
    reference = WhisperFeatureExtractor(feature_size=n_mels)(
        audio, sampling_rate=SAMPLE_RATE, return_tensors="np"
    ).input_features[0]
    ours = log_mel_spectrogram(audio, n_mels).numpy()
    assert ours.shape == reference.shape == (n_mels, N_FRAMES)
    max_diff = float(np.abs(ours - reference).max())
    print(f"{name} n_mels={n_mels}: max abs diff {max_diff:.2e}")
    assert max_diff <= TOLERANCE, f"{name} n_mels={n_mels}: max abs diff {max_diff:.2e}"


@pytest.mark.parametrize("n_mels", [80, 128])
def test_batch_equals_per_example(n_mels):
    clips = load_clips()
    batch = torch.stack([pad_or_trim(torch.from_numpy(clip.audio)) for clip in clips])
    batched = log_mel_spectrogram(batch, n_mels)
    assert batched.shape == (len(clips), n_mels, N_FRAMES)
    for row, clip in zip(batched, clips, strict=True):
        torch.testing.assert_close(row, log_mel_spectrogram(clip.audio, n_mels), atol=1e-5, rtol=0)


def test_output_dtype_device_and_shape():
    audio = torch.from_numpy(INPUTS["noise-5s"]).double()
    mel = log_mel_spectrogram(audio, device="cpu")
    assert mel.shape == (80, N_FRAMES) and mel.dtype == torch.float32 and mel.device.type == "cpu"


def test_frames():
    assert N_SAMPLES == 480_000 and N_FRAMES == 3000 and FRAMES_PER_SECOND == 100
    assert n_mel_frames(48_000) == 300
    assert n_mel_frames(48_001) == 301
    assert n_mel_frames(0) == 0
    assert n_mel_frames(40 * SAMPLE_RATE) == N_FRAMES


def test_pad_or_trim():
    assert pad_or_trim(torch.ones(10), 4).shape == (4,)
    padded = pad_or_trim(torch.ones(2, 10), 16)
    assert padded.shape == (2, 16) and padded[:, 10:].abs().sum() == 0


def test_mel_filters():
    filters = mel_filters(80)
    assert filters.shape == (80, 201) and filters.dtype == torch.float32
    assert mel_filters(80) is filters  # cached
    assert mel_filters(128).shape == (128, 201)
    assert mel_filters(64).shape == (64, 201)  # any size from 1 to 128, to explore
    for bad in (0, 129):
        with pytest.raises(ValueError, match="outside 1..128; Whisper uses 80"):
            mel_filters(bad)


@pytest.mark.parametrize("hop_length", [80, 160, 320, 400])
def test_hop_length_and_no_padding_set_the_frame_rate(hop_length):
    audio = np.random.default_rng(0).standard_normal(48_000).astype(np.float32) * 0.1
    assert log_mel_spectrogram(audio, 40, hop_length=hop_length, pad_to_window=False).shape == (40, 48_000 // hop_length)
    assert log_mel_spectrogram(audio, hop_length=hop_length).shape == (80, N_SAMPLES // hop_length)


def test_bad_hop_length_and_too_short_audio():
    with pytest.raises(ValueError, match="Whisper uses 160"):
        log_mel_spectrogram(np.zeros(1000, np.float32), hop_length=0)
    with pytest.raises(ValueError, match="fewer than one hop"):
        log_mel_spectrogram(np.zeros(10, np.float32), pad_to_window=False)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="load_audio"):
        log_mel_spectrogram(np.zeros((2, 2, 100), np.float32))
    with pytest.raises(ValueError, match="load_audio"):
        log_mel_spectrogram(np.zeros(100, np.int16))
