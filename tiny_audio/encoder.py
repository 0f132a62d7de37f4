"""Stage 3: the frozen Whisper encoder, which turns a log-mel spectrogram into frames.

Whisper was trained only on 30-second windows, so its input is always padded to
3000 mel frames (100 per second). Two convolutions, the second with stride 2, halve
that to 1500 encoder frames: 50 per second, one per 20 ms. The encoder attends over
all 1500 positions, padding included, but only the frames that line up with real audio
carry speech, so we keep just those: 3 s of audio -> 300 mel frames -> 150 encoder frames.

Attending over the padding costs the same for a 2 s clip as for a 30 s one. With
``padding_seconds`` set, ``encode`` runs the encoder over the audio plus that much of
the silence after it instead: a 3 s clip with 5 s of padding runs 400 of the 1500
positions (each layer's cost falls with the length, attention's with its square; measured
~5x faster). The frames differ a little from the full window's (mean cosine similarity
0.98 at 5 s of padding); bench/speedups.py measures what that does to speed and WER.

The encoder is frozen (no parameter requires grad, eval mode): it keeps what it learned
from 680,000 hours of speech, and training the projector never back-propagates into it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch.nn import functional as F
from transformers import WhisperConfig, WhisperModel

from .log_mel import FRAMES_PER_SECOND, N_FRAMES, n_mel_frames

CONV_STRIDE = 2  # the encoder's second convolution halves the time axis
ENCODER_FRAMES_PER_SECOND = FRAMES_PER_SECOND // CONV_STRIDE  # 50 frames/s, 20 ms each
MAX_ENCODER_FRAMES = N_FRAMES // CONV_STRIDE  # 1500 positions: Whisper's whole 30 s window


def n_encoder_frames(n_samples: int) -> int:
    """Encoder frames that hold audio for a clip of ``n_samples`` 16 kHz samples."""
    return -(-n_mel_frames(n_samples) // CONV_STRIDE)


def encoder_context(n_frames: int, padding_seconds: float | None) -> int:
    """Encoder positions to run for ``n_frames`` frames of audio: the whole 30 s window
    (1500) when ``padding_seconds`` is None, else the audio and ``padding_seconds`` of the
    silence after it, at most the whole window."""
    if padding_seconds is None:
        return MAX_ENCODER_FRAMES
    if padding_seconds < 0:
        raise ValueError(f"padding_seconds must be >= 0 (or None for the whole window), got {padding_seconds}")
    return min(MAX_ENCODER_FRAMES, n_frames + math.ceil(padding_seconds * ENCODER_FRAMES_PER_SECOND))


def freeze(module: torch.nn.Module) -> torch.nn.Module:
    """Turn off gradients and dropout for every parameter of ``module``; returns it."""
    module.requires_grad_(False)
    return module.eval()


def encoder_only(whisper: WhisperModel) -> WhisperModel:
    """``whisper`` frozen, with its text decoder removed (``whisper.decoder`` is None): only
    the encoder ever runs here, and the decoder is the larger half (whisper-base: 20.6M
    encoder, 52.0M decoder)."""
    whisper.decoder = None
    return freeze(whisper)


def build_whisper(config: WhisperConfig) -> WhisperModel:
    """A frozen Whisper encoder with the architecture of ``config`` (weights not loaded;
    ``encoder_only``)."""
    return encoder_only(WhisperModel(config))


@torch.no_grad()
def encode(
    whisper: WhisperModel,
    mel: torch.Tensor,
    n_frames: int,
    padding_seconds: float | None = None,
    row_frames: Sequence[int] | None = None,
) -> torch.Tensor:
    """Run the encoder on padded log-mel windows and keep the frames that hold audio.

    Args:
        whisper: the frozen Whisper model (only its encoder runs).
        mel: log-mel spectrograms padded to 30 s, ``(batch, n_mels, 3000)``.
        n_frames: encoder frames to keep, ``n_encoder_frames(n_samples)`` of the longest clip.
        padding_seconds: run the encoder over the audio and this much of the padding after
            it; None (default): over the whole 30 s window, as Whisper was trained.
        row_frames: each row's own frames of audio, when the clips of a batch differ in
            length: with ``padding_seconds``, each row then attends over its own audio and
            padding only, as it would alone (otherwise a short clip would see the padding of
            the longest). Default: every row has ``n_frames``.

    Returns:
        ``(batch, n_frames, encoder_dim)``.
    """
    expected = (whisper.config.num_mel_bins, 2 * whisper.config.max_source_positions)
    if mel.dim() != 3 or tuple(mel.shape[1:]) != expected:
        raise ValueError(
            f"the encoder takes log-mel windows shaped (batch, {expected[0]}, {expected[1]}), "
            f"got {tuple(mel.shape)}; use log_mel_spectrogram(audio, n_mels={expected[0]})"
        )
    context = encoder_context(n_frames, padding_seconds)
    encoder = whisper.encoder
    first = next(encoder.parameters())
    mel = mel[..., : CONV_STRIDE * context].to(first.device, first.dtype)
    key_mask = None
    if row_frames is not None and padding_seconds is not None:
        contexts = [encoder_context(n, padding_seconds) for n in row_frames]
        if min(contexts) < context:  # each row as alone: its mel cut where its context ends, its keys masked after
            mel = mel.clone()
            for row, row_context in enumerate(contexts):
                mel[row, :, CONV_STRIDE * row_context :] = 0  # what the convolutions' zero padding gives alone
            outside = torch.arange(context, device=first.device) >= torch.tensor(contexts, device=first.device)[:, None]
            key_mask = torch.zeros(outside.shape, dtype=first.dtype, device=first.device)
            key_mask = key_mask.masked_fill(outside, torch.finfo(first.dtype).min)[:, None, None, :]  # (B, 1, 1, context)
    # WhisperEncoder.forward insists on the whole window, so its steps are spelled out here.
    hidden = F.gelu(encoder.conv1(mel))
    hidden = F.gelu(encoder.conv2(hidden)).transpose(1, 2)  # (B, context, D)
    hidden = hidden + encoder.embed_positions.weight[:context]
    for layer in encoder.layers:
        hidden = layer(hidden, key_mask)
    return encoder.layer_norm(hidden)[:, :n_frames]  # (B, n_frames, D)
