"""Stage 1: load_audio refuses bad input with a fix, announces every conversion; degrade and SNR."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from tiny_audio.sampling import SAMPLE_RATE, degrade, load_audio, pause_segments, quantize, resample, snr_db

LOGGER = "tiny_audio"


def tone(n_samples: int, sample_rate: int = SAMPLE_RATE, freq: float = 440.0) -> np.ndarray:
    """A quiet sine, float32, shape (n_samples,)."""
    t = np.arange(n_samples) / sample_rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def speechlike(n_samples: int, seed: int = 0) -> np.ndarray:
    """Noise with a falling spectrum, like speech, float32 in [-1, 1], shape (n_samples,)."""
    white = np.random.default_rng(seed).standard_normal(n_samples)
    pink = np.cumsum(white) - np.convolve(np.cumsum(white), np.ones(64) / 64, mode="same")
    return (0.5 * pink / np.abs(pink).max()).astype(np.float32)


# --- bad input: one exception, one line, naming the fix ---


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="check the path"):
        load_audio(tmp_path / "nope.wav")


def test_text_file_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are my notes, not audio\n")
    with pytest.raises(
        ValueError, match="notes.wav is not an audio file.*convert it to WAV"
    ) as info:
        load_audio(path)
    assert "\n" not in str(info.value)
    assert info.value.__suppress_context__  # the library traceback is not chained on


def test_truncated_wav(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, tone(SAMPLE_RATE), SAMPLE_RATE, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:20])  # cut inside the header
    with pytest.raises(ValueError, match="not an audio file.*convert"):
        load_audio(path)


def test_empty_wav_file(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, np.float32), SAMPLE_RATE)
    with pytest.raises(ValueError, match="empty.wav holds no samples"):
        load_audio(path)


@pytest.mark.parametrize(
    ("samples", "words"),
    [
        (np.zeros(0, np.float32), "holds no samples"),
        (np.array([0.1, np.nan, 0.2], np.float32), "NaN/Inf samples.*nan_to_num"),
        (np.array([0.1, np.inf, -np.inf], np.float32), "2 NaN/Inf samples.*nan_to_num"),
        (np.zeros((2, 2, 100), np.float32), r"shape \(2, 2, 100\).*one clip at a time"),
        (np.array(["a", "b"]), "not numeric samples.*pass float samples"),
        (np.zeros((100, 100), np.float32), "neither axis looks like channels"),
        (np.zeros(100, np.int64), "int64 samples.*astype"),
    ],
    ids=["empty", "nan", "inf", "3d", "string", "no-channel-axis", "int64"],
)
def test_bad_arrays(samples, words):
    with pytest.raises(ValueError, match=words) as info:
        load_audio(samples)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("rate", [0, -16000])
def test_bad_sample_rate(rate):
    with pytest.raises(ValueError, match="positive.*pass e.g. 16000"):
        load_audio(tone(100), sample_rate=rate)


def test_sample_rate_with_a_path_is_refused(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, tone(SAMPLE_RATE), SAMPLE_RATE)
    with pytest.raises(ValueError, match="drop sample_rate"):
        load_audio(path, sample_rate=16000)


def test_wrong_source_type():
    with pytest.raises(TypeError, match="pass a file path, a numpy array or a torch tensor"):
        load_audio([0.1, 0.2])


# --- conversions: done, and announced ---


@pytest.mark.parametrize(
    ("dtype", "silence", "peak"),
    [(np.int16, 0, 2**15 - 1), (np.int32, 0, 2**31 - 1), (np.uint8, 128, 255)],
)
def test_integer_pcm_is_scaled_with_a_notice(caplog, dtype, silence, peak):
    samples = np.array([silence, peak, silence, silence], dtype=dtype)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        audio = load_audio(samples)
    assert audio.dtype == np.float32
    assert audio[0] == 0.0
    assert 0.99 < audio[1] <= 1.0
    assert f"scaled {np.dtype(dtype)} PCM" in caplog.text


def test_int16_full_range():
    audio = load_audio(np.array([-(2**15), 2**15 - 1], np.int16))
    assert audio.min() == -1.0 and audio.max() < 1.0


def test_float_mono_16k_passes_silently(caplog):
    samples = tone(SAMPLE_RATE)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        audio = load_audio(samples)
    np.testing.assert_array_equal(audio, samples)
    assert caplog.text == ""


@pytest.mark.parametrize("layout", ["channels_last", "channels_first"])
def test_stereo_is_downmixed_with_a_notice(caplog, layout):
    left, right = tone(1000), -0.5 * tone(1000)
    stereo = np.stack([left, right], axis=1 if layout == "channels_last" else 0)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        audio = load_audio(stereo)
    assert audio.shape == (1000,)
    np.testing.assert_allclose(audio, (left + right) / 2, atol=1e-7)
    assert "averaged 2 channels to mono" in caplog.text


def test_stereo_file_is_downmixed(caplog, tmp_path):
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([tone(1000), tone(1000)], axis=1), SAMPLE_RATE)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        audio = load_audio(path)
    assert audio.shape == (1000,)
    assert "stereo.wav: averaged 2 channels" in caplog.text


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_file_at_other_rate_is_resampled_with_a_notice(caplog, tmp_path, rate):
    path = tmp_path / f"{rate}.wav"
    sf.write(path, tone(2 * rate, rate), rate, subtype="PCM_16")  # 2 s
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        audio = load_audio(path)
    assert audio.dtype == np.float32
    assert audio.shape == (2 * SAMPLE_RATE,)
    assert f"resampled {rate} Hz -> {SAMPLE_RATE} Hz" in caplog.text
    # still a 440 Hz tone: the spectrum peaks at 440 Hz (1 Hz bins over 2 s / 2)
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) / 2 == pytest.approx(440, abs=1)


def test_array_at_other_rate_is_resampled(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        audio = load_audio(tone(8000, 8000), sample_rate=8000)
    assert audio.shape == (SAMPLE_RATE,)
    assert "array: resampled 8000 Hz -> 16000 Hz" in caplog.text


def test_16_bit_wav_file_reads_silently(caplog, tmp_path):
    path = tmp_path / "pcm16.wav"
    samples = tone(SAMPLE_RATE)
    sf.write(path, samples, SAMPLE_RATE, subtype="PCM_16")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        audio = load_audio(str(path))
    np.testing.assert_allclose(audio, samples, atol=2**-15)
    assert caplog.text == ""


def test_torch_tensor_input():
    samples = torch.from_numpy(tone(1000)).to(torch.bfloat16)
    audio = load_audio(samples)
    assert isinstance(audio, np.ndarray) and audio.dtype == np.float32 and audio.shape == (1000,)


def test_notice_reaches_stderr_without_logging_config():
    """With no handlers configured, Python's last-resort handler prints the notice."""
    code = "import numpy as np; from tiny_audio.sampling import load_audio; load_audio(np.zeros(10, np.int16))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert "array: scaled int16 PCM to float32 in [-1, 1]" in result.stderr


# --- resample, quantize, degrade, snr ---


def test_resample_length():
    assert resample(tone(44_100, 44_100), 44_100, 16_000).shape == (16_000,)
    assert resample(tone(100), 16_000, 16_000).shape == (100,)


@pytest.mark.parametrize("bits", [1, 2, 3, 8])
def test_quantize_levels(bits):
    ramp = np.linspace(-1, 1, 100_000, dtype=np.float32)
    quantized = quantize(ramp, bits)
    assert quantized.dtype == np.float32
    assert len(np.unique(quantized)) == 2**bits
    assert np.abs(quantized - ramp).max() <= 2.0 / 2**bits  # at most one step off


def test_quantize_16_bits_is_an_int16_round_trip():
    samples = speechlike(SAMPLE_RATE)
    as_int16 = np.round(samples * 2**15).astype(np.int16)
    np.testing.assert_array_equal(quantize(samples, 16), as_int16 / np.float32(2**15))


def test_degrade_keeps_length_and_rate():
    audio = speechlike(SAMPLE_RATE + 7)  # an odd length to catch off-by-one resampling
    for rate in (1000, 4000, 8000, 11025, 16000):
        degraded = degrade(audio, sample_rate=rate, bits=8)
        assert degraded.shape == audio.shape and degraded.dtype == np.float32


def test_degrade_snr_drops_with_bits():
    audio = speechlike(SAMPLE_RATE)
    for rate in (16000, 8000):
        snrs = [snr_db(audio, degrade(audio, sample_rate=rate, bits=b)) for b in (16, 8, 4, 2)]
        assert snrs == sorted(snrs, reverse=True), snrs
    # 16 bits: ~98 dB for a full-scale sine, less for this quieter signal; still inaudible noise
    assert snr_db(audio, degrade(audio, sample_rate=16000, bits=16)) > 60


def test_degrade_removes_content_above_nyquist():
    high = tone(SAMPLE_RATE, freq=6000.0)  # above 4 kHz, the Nyquist limit of 8 kHz sampling
    degraded = degrade(high, sample_rate=8000)[100:-100]  # skip the resampler's edge transients
    assert np.abs(degraded).max() < 0.01


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"sample_rate": 500}, "outside 1000..16000"),
        ({"sample_rate": 44_100}, "outside 1000..16000"),
        ({"bits": 0}, "outside 1..16"),
        ({"bits": 24}, "outside 1..16"),
    ],
)
def test_degrade_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        degrade(tone(1000), **kwargs)


def test_snr():
    clean = tone(1000)
    assert snr_db(clean, clean) == float("inf")
    assert snr_db(clean, 0.9 * clean) == pytest.approx(20.0)  # noise is 1/10 of the amplitude
    with pytest.raises(ValueError, match="same length"):
        snr_db(clean, clean[:-1])


def _speech_and_pauses(*parts: tuple[str, float]) -> np.ndarray:
    """Loud noise for "speech", faint noise for "pause", each the given seconds long."""
    rng = np.random.default_rng(0)
    scale = {"speech": 0.1, "pause": 0.001}
    return np.concatenate([rng.normal(0, scale[kind], int(s * SAMPLE_RATE)) for kind, s in parts]).astype(np.float32)


def test_pause_segments_cut_long_speech_in_its_pauses():
    audio = _speech_and_pauses(("speech", 2.5), ("pause", 0.2), ("speech", 1.5), ("pause", 0.3), ("speech", 3.0))
    pieces = pause_segments(audio, max_seconds=4.0)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(audio)
    assert all(end == next_start for (_, end), (next_start, _) in zip(pieces, pieces[1:]))  # no gap, no overlap
    cuts = [end / SAMPLE_RATE for _, end in pieces[:-1]]
    assert len(cuts) == 2
    assert 2.5 <= cuts[0] <= 2.7 and 4.2 <= cuts[1] <= 4.5  # inside the two pauses
    assert all(end - start <= 4.0 * SAMPLE_RATE for start, end in pieces)


def test_pause_segments_leave_short_clips_whole_and_no_piece_too_short():
    assert pause_segments(np.zeros(3 * SAMPLE_RATE, np.float32), 4.0) == [(0, 3 * SAMPLE_RATE)]
    assert pause_segments(np.zeros(0, np.float32), 4.0) == []
    # Only a pause in the last half second: the cut may not go there, so it falls elsewhere.
    audio = _speech_and_pauses(("speech", 4.3), ("pause", 0.2), ("speech", 0.3))
    pieces = pause_segments(audio, max_seconds=4.0)
    assert min(end - start for start, end in pieces) >= SAMPLE_RATE  # MIN_SEGMENT_SECONDS
    assert pieces[-1][1] == len(audio)
    with pytest.raises(ValueError, match="max_seconds must be more than 2"):
        pause_segments(audio, 1.5)
