"""Stage 2, log-mel: 16 kHz samples -> the `(n_mels, 3000)` picture Whisper's encoder reads.

Written in torch so the same code runs on a GPU; the math is Whisper's own
(`whisper/audio.py`) and matches `transformers.WhisperFeatureExtractor`.
"""

from __future__ import annotations

from functools import cache

import librosa
import numpy as np
import torch
import torch.nn.functional as F

from .sampling import SAMPLE_RATE

N_FFT = 400  # 25 ms window at 16 kHz
HOP_LENGTH = 160  # 10 ms between frames
CHUNK_LENGTH = 30  # seconds in Whisper's window
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000 samples in a 30 s window
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 frames in a 30 s window
FRAMES_PER_SECOND = SAMPLE_RATE // HOP_LENGTH  # 100 frames per second
N_FREQS = 1 + N_FFT // 2  # 201 STFT bins, 0..8000 Hz in 40 Hz steps
MAX_MELS = 128  # more bands than this leaves some of the 201 STFT bins' triangles empty
DYNAMIC_RANGE = 8.0  # log10 units kept below each clip's loudest bin (80 dB)


def mel_filters(
    n_mels: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Whisper's mel filterbank: slaney-scale, slaney-normalised triangles from 0 to 8000 Hz.

    Built once per (n_mels, device, dtype) and cached.

    Args:
        n_mels: number of filters: 80 or 128 for Whisper, 1..128 to explore.
        device: where to put the filters (default CPU).
        dtype: their dtype.

    Returns:
        filters, shape `(n_mels, 1 + N_FFT // 2)`; row m weights the STFT bins that mel band m sums.
    """
    if not 1 <= n_mels <= MAX_MELS:
        raise ValueError(
            f"n_mels={n_mels} is outside 1..{MAX_MELS}; Whisper uses 80 (tiny..large-v2) or 128 (large-v3)"
        )
    return _mel_filters(n_mels, torch.device(device if device is not None else "cpu"), dtype)


@cache
def _mel_filters(n_mels: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # Whisper's own mel_filters.npz was made by this librosa call; it equals
    # transformers' mel_filter_bank(norm="slaney", mel_scale="slaney", 0..8000 Hz).
    filters = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=n_mels)
    return torch.from_numpy(filters).to(device=device, dtype=dtype)


def pad_or_trim(audio: torch.Tensor, length: int = N_SAMPLES) -> torch.Tensor:
    """Zero-pad or cut the last axis to `length` samples.

    Args:
        audio: samples, shape `(..., n_samples)`.
        length: samples wanted (default 30 s).

    Returns:
        shape `(..., length)`.
    """
    n_samples = audio.shape[-1]
    if n_samples > length:
        return audio[..., :length]
    return F.pad(audio, (0, length - n_samples))


def n_mel_frames(n_samples: int) -> int:
    """How many of the `N_FRAMES` log-mel frames hold audio rather than padding.

    Args:
        n_samples: length of the clip in samples at 16 kHz.

    Returns:
        ceil(n_samples / HOP_LENGTH), at most N_FRAMES (48000 samples -> 300 frames).
    """
    if n_samples < 0:
        raise ValueError(f"n_samples={n_samples} is negative; pass len(audio)")
    return min(-(-n_samples // HOP_LENGTH), N_FRAMES)


def log_mel_spectrogram(
    audio: np.ndarray | torch.Tensor,
    n_mels: int = 80,
    *,
    hop_length: int = HOP_LENGTH,
    pad_to_window: bool = True,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Whisper's log-mel spectrogram of one clip or a batch.

    Args:
        audio: float 16 kHz samples, shape `(n_samples,)` or `(batch, n_samples)`.
        n_mels: mel bins, 80 or 128 to match a Whisper encoder (1..128 to explore).
        hop_length: samples between frames; Whisper's 160 gives 100 frames/s.
        pad_to_window: pad or cut to 30 s as the encoder needs; False keeps the clip's length.
        device: where to compute (default: the input tensor's device, CPU for numpy).

    Returns:
        float32 features, shape `(n_mels, frames)` or `(batch, n_mels, frames)`, where
        frames = `N_FRAMES` (3000) with the defaults, else n_samples // hop_length.
    """
    if isinstance(audio, np.ndarray):
        audio = torch.from_numpy(audio)
    if not isinstance(audio, torch.Tensor):
        raise TypeError(
            f"log_mel_spectrogram got a {type(audio).__name__}; pass a numpy array or torch tensor"
        )
    if audio.ndim not in (1, 2) or not audio.is_floating_point():
        raise ValueError(
            f"expected float samples of shape (n_samples,) or (batch, n_samples), got {tuple(audio.shape)} "
            f"{audio.dtype}; pass load_audio(...) output, stacked for a batch"
        )
    if not 1 <= hop_length <= N_FFT:
        raise ValueError(f"hop_length={hop_length} is outside 1..{N_FFT}; Whisper uses {HOP_LENGTH} (10 ms)")
    audio = audio.to(device=device if device is not None else audio.device, dtype=torch.float32)
    if audio.shape[-1] < hop_length:
        raise ValueError(f"the clip has {audio.shape[-1]} samples, fewer than one hop of {hop_length}; pass longer audio")
    # Why 30 s: the encoder was trained only on 30 s windows. Its stride-2 conv turns the
    # 3000 frames into 1500 positions, exactly what its position embeddings cover, so every
    # clip is padded with silence (or cut) to 30 s rather than fed at its own length.
    if pad_to_window:
        audio = pad_or_trim(audio)  # (..., N_SAMPLES)

    window = torch.hann_window(N_FFT, device=audio.device)
    stft = torch.stft(
        audio,
        N_FFT,
        hop_length,
        window=window,
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )  # (..., N_FREQS, frames + 1)
    power = stft[..., :-1].abs() ** 2  # (..., N_FREQS, frames); Whisper drops the last frame

    mel = mel_filters(n_mels, audio.device) @ power  # (..., n_mels, frames)
    log_spec = torch.clamp(mel, min=1e-10).log10()  # clamp: silence would be log(0) = -inf
    # Keep 80 dB below each clip's loudest bin so padding silence does not stretch the scale,
    # then shift and scale to roughly [-1, 1] for the encoder.
    peak = log_spec.amax(dim=(-2, -1), keepdim=True)  # (..., 1, 1)
    log_spec = torch.maximum(log_spec, peak - DYNAMIC_RANGE)
    return (log_spec + 4.0) / 4.0
