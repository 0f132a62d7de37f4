"""Stage 3: the frozen Whisper encoder, which turns a log-mel spectrogram into frames.

Whisper was trained only on 30-second windows, so its input is always padded to
3000 mel frames (100 per second). Two convolutions, the second with stride 2, halve
that to 1500 encoder frames: 50 per second, one per 20 ms. The encoder attends over
all 1500 positions, padding included, but only the frames that line up with real audio
carry speech, so we keep just those: 3 s of audio -> 300 mel frames -> 150 encoder frames.

The encoder is frozen (no parameter requires grad, eval mode): it keeps what it learned
from 680,000 hours of speech, and training the projector never back-propagates into it.
"""

from __future__ import annotations

import torch
from transformers import WhisperConfig, WhisperModel

from .log_mel import FRAMES_PER_SECOND, n_mel_frames

CONV_STRIDE = 2  # the encoder's second convolution halves the time axis
ENCODER_FRAMES_PER_SECOND = FRAMES_PER_SECOND // CONV_STRIDE  # 50 frames/s, 20 ms each


def n_encoder_frames(n_samples: int) -> int:
    """Encoder frames that hold audio for a clip of ``n_samples`` 16 kHz samples."""
    return -(-n_mel_frames(n_samples) // CONV_STRIDE)


def freeze(module: torch.nn.Module) -> torch.nn.Module:
    """Turn off gradients and dropout for every parameter of ``module``; returns it."""
    module.requires_grad_(False)
    return module.eval()


def build_whisper(config: WhisperConfig) -> WhisperModel:
    """A frozen ``WhisperModel`` with the architecture of ``config`` (weights not loaded)."""
    return freeze(WhisperModel(config))


@torch.no_grad()
def encode(whisper: WhisperModel, mel: torch.Tensor, n_frames: int) -> torch.Tensor:
    """Run the encoder on padded log-mel windows and keep the frames that hold audio.

    Args:
        whisper: the frozen Whisper model (only its encoder runs).
        mel: log-mel spectrograms padded to 30 s, ``(batch, n_mels, 3000)``.
        n_frames: encoder frames to keep, ``n_encoder_frames(n_samples)`` of the longest clip.

    Returns:
        ``(batch, n_frames, encoder_dim)``.
    """
    expected = (whisper.config.num_mel_bins, 2 * whisper.config.max_source_positions)
    if mel.dim() != 3 or tuple(mel.shape[1:]) != expected:
        raise ValueError(
            f"the encoder takes log-mel windows shaped (batch, {expected[0]}, {expected[1]}), "
            f"got {tuple(mel.shape)}; use log_mel_spectrogram(audio, n_mels={expected[0]})"
        )
    first = next(whisper.parameters())
    hidden = whisper.encoder(mel.to(first.device, first.dtype)).last_hidden_state  # (B, 1500, D)
    return hidden[:, :n_frames]  # (B, n_frames, D)
