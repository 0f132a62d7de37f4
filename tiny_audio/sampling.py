"""Stage 1, sampling: load any audio as float32 mono 16 kHz, and hear what lower rates and bits do.

Every conversion (resampling, downmixing, scaling integer arrays) logs one WARNING line on the
``tiny_audio`` logger, so a clip never changes rate, shape or scale without the learner seeing it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf
import torch

SAMPLE_RATE = 16_000  # samples per second that Whisper expects
MAX_CHANNELS = 8  # a 2-D array's axis this short or shorter holds channels, not time (7.1 audio)
MIN_DEGRADE_RATE = 1_000  # Hz, the lowest recording rate degrade() simulates (500 Hz of bandwidth)
MAX_BITS = 16  # the resolution of CD audio and of the bundled WAV clips
PAUSE_HOP = SAMPLE_RATE // 100  # 10 ms: where pause_segments may cut
PAUSE_SMOOTHING = 5  # hops: a cut point's loudness is the mean power of the 50 ms around it
MIN_SEGMENT_SECONDS = 1.0  # pause_segments leaves no piece shorter (unless the clip is)

# The integer sample types WAV files store; other integer arrays are refused as ambiguous.
PCM_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.int16, np.int32))

logger = logging.getLogger("tiny_audio")


def load_audio(
    source: str | Path | np.ndarray | torch.Tensor, sample_rate: int | None = None
) -> np.ndarray:
    """Load a file or an array as the audio every later stage expects.

    Args:
        source: a path to anything soundfile reads (WAV, FLAC, OGG, MP3) or librosa can decode,
            or samples as a numpy array / torch tensor of shape `(n_samples,)`,
            `(n_samples, channels)` or `(channels, n_samples)`.
        sample_rate: the rate of an array `source` in Hz (default 16000). Files carry their
            own rate in the header, so passing one with a path is an error.

    Returns:
        float32 mono audio at 16 kHz, shape `(n_samples,)`.
    """
    if isinstance(source, (str, Path)):
        if sample_rate is not None:
            raise ValueError(
                f"sample_rate={sample_rate} was passed with a file path, but files carry their own rate; "
                "drop sample_rate (the result is always 16 kHz)"
            )
        audio, sample_rate = _read_file(Path(source))
        name = Path(source).name
    elif isinstance(source, (np.ndarray, torch.Tensor)):
        audio = _to_numpy(source)
        sample_rate = SAMPLE_RATE if sample_rate is None else sample_rate
        name = "array"
    else:
        raise TypeError(
            f"load_audio got a {type(source).__name__}; pass a file path, a numpy array or a torch tensor"
        )
    if sample_rate <= 0:
        raise ValueError(
            f"sample_rate must be a positive number of Hz, got {sample_rate}; pass e.g. 16000"
        )
    audio = _to_float(audio, name)
    _check_samples(audio, name)
    audio = _to_mono(audio, name)
    if sample_rate != SAMPLE_RATE:
        audio = resample(audio, sample_rate, SAMPLE_RATE)
        logger.warning("%s: resampled %d Hz -> %d Hz", name, sample_rate, SAMPLE_RATE)
    return audio


def _read_file(path: Path) -> tuple[np.ndarray, int]:
    """Read `path` with soundfile, else librosa.

    Returns:
        samples, shape `(n_samples, channels)` or `(channels, n_samples)`, and their rate in Hz.
    """
    if not path.exists():
        raise FileNotFoundError(
            f"no audio file at {path}; check the path (relative paths start at {Path.cwd()})"
        )
    if path.is_dir():
        raise ValueError(f"{path} is a folder; pass the path of one audio file inside it")
    try:
        # Decoding a file's PCM to float is what reading it means, so unlike arrays it logs nothing.
        return sf.read(path, dtype="float32", always_2d=True)
    except sf.SoundFileError as error:
        soundfile_reason = str(error)
    try:
        with warnings.catch_warnings():  # librosa warns that it is falling back; we already know
            warnings.simplefilter("ignore")
            audio, sample_rate = librosa.load(path, sr=None, mono=False)
    except Exception as error:  # audioread raises bare EOFError / NoBackendError, so catch them all
        raise ValueError(
            f"{path.name} is not an audio file soundfile or librosa can read "
            f"({soundfile_reason}; librosa: {type(error).__name__}); convert it to WAV/FLAC/MP3 first"
        ) from None
    return audio, int(sample_rate)


def _to_numpy(samples: np.ndarray | torch.Tensor) -> np.ndarray:
    """A tensor moved to the CPU as numpy; bf16/fp16 become float32 since numpy lacks bf16."""
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().cpu()
        if samples.is_floating_point():
            samples = samples.float()
        return samples.numpy()
    return samples


def _to_float(audio: np.ndarray, name: str) -> np.ndarray:
    """Integer PCM scaled to [-1, 1] (with a notice); floats cast to float32."""
    if audio.dtype in PCM_DTYPES:
        full_scale = 2 ** (8 * audio.dtype.itemsize - 1)  # int16: 32768, so x / 32768 is in [-1, 1)
        offset = full_scale if audio.dtype.kind == "u" else 0  # unsigned PCM stores silence at 128
        logger.warning("%s: scaled %s PCM to float32 in [-1, 1]", name, audio.dtype)
        return ((audio.astype(np.float64) - offset) / full_scale).astype(np.float32)
    if audio.dtype.kind in "iu":
        raise ValueError(
            f"{name} has {audio.dtype} samples, which no audio format stores; "
            "cast to the PCM type they came from (e.g. .astype(np.int16)) or to float32 in [-1, 1]"
        )
    if audio.dtype.kind != "f":
        raise ValueError(
            f"{name} has dtype {audio.dtype}, not numeric samples; "
            "pass float samples in [-1, 1] or integer PCM (int16/int32/uint8)"
        )
    return audio.astype(np.float32, copy=False)


def _to_mono(audio: np.ndarray, name: str) -> np.ndarray:
    """`(n_samples,)`, `(n_samples, channels)` or `(channels, n_samples)` -> `(n_samples,)`."""
    if audio.ndim == 1:
        return audio
    if audio.ndim != 2:
        raise ValueError(
            f"{name} has shape {audio.shape}; expected (n_samples,) or (n_samples, channels), "
            "so pass one clip at a time, e.g. audio[0]"
        )
    channel_axis = 0 if audio.shape[0] < audio.shape[1] else 1  # channels are the short axis
    n_channels = audio.shape[channel_axis]
    if n_channels > MAX_CHANNELS:
        raise ValueError(
            f"{name} has shape {audio.shape} and neither axis looks like channels (<= {MAX_CHANNELS}); "
            "pass a batch one clip at a time"
        )
    if n_channels > 1:
        logger.warning("%s: averaged %d channels to mono", name, n_channels)
    return audio.mean(axis=channel_axis, dtype=np.float32)


def _check_samples(audio: np.ndarray, name: str) -> None:
    """Refuse empty audio and NaN / Inf samples, which would poison every later stage."""
    if audio.size == 0:
        raise ValueError(
            f"{name} holds no samples; check that the recording is not empty or cut off"
        )
    n_bad = int(np.count_nonzero(~np.isfinite(audio)))
    if n_bad:
        raise ValueError(
            f"{name} has {n_bad} NaN/Inf samples; fix the code that produced them "
            "or replace them with np.nan_to_num(audio)"
        )


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample with librosa's band-limited (soxr) resampler.

    Args:
        audio: float samples, shape `(n_samples,)`.
        orig_sr: the rate of `audio` in Hz.
        target_sr: the rate wanted in Hz.

    Returns:
        float32 audio, shape `(ceil(n_samples * target_sr / orig_sr),)`.
    """
    if orig_sr <= 0 or target_sr <= 0:
        raise ValueError(
            f"sample rates must be positive, got {orig_sr} -> {target_sr}; pass rates in Hz, e.g. 16000"
        )
    if orig_sr == target_sr:
        return audio.astype(np.float32, copy=False)
    return librosa.resample(
        audio.astype(np.float32, copy=False), orig_sr=orig_sr, target_sr=target_sr
    )


def quantize(audio: np.ndarray, bits: int) -> np.ndarray:
    """Round to the integer grid a `bits`-bit ADC stores, as float.

    The grid is the one WAV files use: 2**bits signed levels, k / 2**(bits - 1) for
    k in [-2**(bits - 1), 2**(bits - 1) - 1]; bits=16 is exactly an int16 round trip.

    Args:
        audio: float samples in [-1, 1], any shape; values outside are clipped.
        bits: resolution, 1..16.

    Returns:
        float32 audio of the same shape, taking at most 2**bits distinct values.
    """
    _check_bits(bits)
    full_scale = 2 ** (bits - 1)
    levels = np.clip(np.round(audio * full_scale), -full_scale, full_scale - 1)
    return (levels / full_scale).astype(np.float32)


def degrade(audio: np.ndarray, sample_rate: int = 8000, bits: int = 16) -> np.ndarray:
    """What `audio` sounds like recorded at `sample_rate` Hz and `bits` bits, played at 16 kHz.

    Resampling back up keeps playback speed and lets plots line up sample for sample with
    the original; the detail lost above `sample_rate / 2` (Nyquist) does not come back.

    Args:
        audio: 16 kHz float samples, shape `(n_samples,)`.
        sample_rate: the recording rate to simulate, 1000..16000 Hz (telephone: 8000).
        bits: the resolution to simulate, 1..16.

    Returns:
        float32 16 kHz audio, shape `(n_samples,)`, the same length as `audio`.
    """
    if audio.ndim != 1:
        raise ValueError(
            f"degrade expects mono audio of shape (n_samples,), got {audio.shape}; pass load_audio(...)"
        )
    if not MIN_DEGRADE_RATE <= sample_rate <= SAMPLE_RATE:
        raise ValueError(
            f"sample_rate={sample_rate} Hz is outside {MIN_DEGRADE_RATE}..{SAMPLE_RATE}; "
            "pick a rate in that range (8000 is telephone quality)"
        )
    _check_bits(bits)
    recorded = quantize(resample(audio, SAMPLE_RATE, sample_rate), bits)
    played = resample(recorded, sample_rate, SAMPLE_RATE)
    return librosa.util.fix_length(played, size=len(audio))  # resampling can be off by a sample


def _check_bits(bits: int) -> None:
    """Refuse resolutions outside 1..MAX_BITS."""
    if not 1 <= bits <= MAX_BITS:
        raise ValueError(
            f"bits={bits} is outside 1..{MAX_BITS}; pick a resolution in that range (16 is CD quality)"
        )


def snr_db(clean: np.ndarray, degraded: np.ndarray) -> float:
    """Signal-to-noise ratio of `degraded` against `clean` in dB; the noise is their difference.

    Args:
        clean: the reference, shape `(n_samples,)`.
        degraded: the same audio after some damage, shape `(n_samples,)`.

    Returns:
        10 * log10(signal power / noise power); inf when the two are identical.
    """
    if clean.shape != degraded.shape:
        raise ValueError(
            f"clean has shape {clean.shape} but degraded has {degraded.shape}; "
            "compare clips of the same length (degrade() keeps the length)"
        )
    clean = clean.astype(np.float64)
    noise_power = np.sum((clean - degraded) ** 2)
    if noise_power == 0:
        return float("inf")
    return float(10 * np.log10(np.sum(clean**2) / noise_power))


def pause_segments(audio: np.ndarray, max_seconds: float) -> list[tuple[int, int]]:
    """Cut speech into pieces of at most ``max_seconds``, each cut at the quietest moment.

    Walking from the start, each cut falls where the power (averaged over 50 ms) is lowest
    between ``MIN_SEGMENT_SECONDS`` and ``max_seconds`` after the previous cut, and at least
    ``MIN_SEGMENT_SECONDS`` before the end: in speech, that is a pause between words or
    sentences, where cutting loses nothing. A clip no longer than ``max_seconds`` stays whole.

    Args:
        audio: 16 kHz mono samples, ``(n_samples,)``.
        max_seconds: the longest piece; more than twice ``MIN_SEGMENT_SECONDS``.

    Returns:
        ``(start, end)`` sample indices of the pieces, in order; together they cover the clip.
    """
    if not max_seconds > 2 * MIN_SEGMENT_SECONDS:
        raise ValueError(f"max_seconds must be more than {2 * MIN_SEGMENT_SECONDS:g}, got {max_seconds!r}")
    longest, shortest = int(max_seconds * SAMPLE_RATE), int(MIN_SEGMENT_SECONDS * SAMPLE_RATE)
    if len(audio) <= longest:
        return [(0, len(audio))] if len(audio) else []
    n_hops = len(audio) // PAUSE_HOP
    power = (np.asarray(audio[: n_hops * PAUSE_HOP], dtype=np.float64).reshape(n_hops, PAUSE_HOP) ** 2).mean(axis=1)
    power = np.convolve(power, np.ones(PAUSE_SMOOTHING) / PAUSE_SMOOTHING, mode="same")  # (n_hops,)
    pieces, start = [], 0
    while len(audio) - start > longest:
        first, last = (start + shortest) // PAUSE_HOP, min(start + longest, len(audio) - shortest) // PAUSE_HOP
        cut = (first + int(np.argmin(power[first : last + 1]))) * PAUSE_HOP
        pieces.append((start, cut))
        start = cut
    return [*pieces, (start, len(audio))]
