"""Stage 4: the projector, the only part of the recognizer that is trained.

It bridges the "modality gap": the encoder speaks in ``encoder_dim``-wide frames at
50 per second, the language model reads ``llm_dim``-wide token embeddings. The projector
stacks ``k`` consecutive frames into one vector (5x fewer positions for the decoder to
attend over), then maps it to the LLM's width:

    (B, T, encoder_dim) -> stack k -> (B, T/k, encoder_dim*k) -> RMSNorm -> Linear -> RMSNorm
      -> (B, T/k, llm_dim)

Seed preset: 1280 x 5 = 6400 -> 3584, 22,951,168 parameters.
"""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Root-mean-square layer norm with a learned per-channel gain (no mean, no bias).

    The same normalisation the LLM uses on its own embeddings, so the projector's
    output arrives at the scale the decoder's first layer expects.
    """

    def __init__(self, dim: int, eps: float = 1e-6, gain: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((dim,), gain))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # normalise in float32: bf16 squares of large activations lose too much precision
        x32 = x.float()
        normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (self.weight.float() * normed).to(x.dtype)


def output_length(n_frames: int, downsample_rate: int) -> int:
    """Audio tokens produced from ``n_frames`` encoder frames: ceil(n_frames / k).

    The last group is zero-padded rather than dropped, so no audio is lost.
    """
    if n_frames < 1 or downsample_rate < 1:
        raise ValueError(
            f"need n_frames >= 1 and downsample_rate >= 1, got {n_frames} and {downsample_rate}"
        )
    return -(-n_frames // downsample_rate)


def stack_frames(frames: torch.Tensor, downsample_rate: int) -> torch.Tensor:
    """Concatenate each run of ``k`` consecutive frames into one vector.

    Args:
        frames: encoder output ``(batch, n_frames, encoder_dim)``.
        downsample_rate: ``k``, frames per output vector.

    Returns:
        ``(batch, ceil(n_frames / k), encoder_dim * k)``; the last group is zero-padded.
    """
    if frames.dim() != 3:
        raise ValueError(
            f"expected encoder frames shaped (batch, frames, dim), got {tuple(frames.shape)}; "
            "add a batch axis with frames.unsqueeze(0)"
        )
    batch, n_frames, dim = frames.shape
    n_out = output_length(n_frames, downsample_rate)
    pad = n_out * downsample_rate - n_frames
    frames = nn.functional.pad(frames, (0, 0, 0, pad))  # (B, n_out*k, D)
    return frames.reshape(batch, n_out, downsample_rate * dim)  # (B, n_out, k*D)


class AudioProjector(nn.Module):
    """Stack ``k`` encoder frames, then RMSNorm -> Linear -> RMSNorm into the LLM's width.

    Args:
        encoder_dim: width of one encoder frame (1280 for whisper-large-v3).
        llm_dim: width of the LLM's token embeddings (3584 for Qwen2-7B).
        downsample_rate: ``k``, encoder frames per audio token (5: 50 -> 10 tokens/s).
        output_rms: the initial root-mean-square of each output vector. Pass the RMS of
            the LLM's embedding table (0.136 for SmolLM2-135M) so that, from the first step,
            audio tokens arrive at the size of text tokens instead of ~7x larger.
    """

    def __init__(self, encoder_dim: int, llm_dim: int, downsample_rate: int, output_rms: float = 1.0) -> None:
        super().__init__()
        self.encoder_dim = encoder_dim
        self.downsample_rate = downsample_rate
        stacked_dim = encoder_dim * downsample_rate
        # RMSNorm before: divides each stacked vector by its root-mean-square, so the Linear's
        # inputs have one size whatever the clip's loudness or the encoder's scale.
        self.ln_pre = RMSNorm(stacked_dim)
        self.proj = nn.Linear(stacked_dim, llm_dim, bias=True)
        # RMSNorm after: puts the output at the norm of the LLM's own input embeddings.
        self.ln_post = RMSNorm(llm_dim, gain=output_rms)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """``(batch, n_frames, encoder_dim)`` -> ``(batch, ceil(n_frames / k), llm_dim)``."""
        if frames.shape[-1] != self.encoder_dim:
            raise ValueError(
                f"this projector takes {self.encoder_dim}-dim encoder frames, got shape {tuple(frames.shape)}; "
                "pass the output of the encoder it was built for (its config's encoder_dim)"
            )
        stacked = stack_frames(frames, self.downsample_rate)  # (B, T/k, k*D_enc)
        return self.ln_post(self.proj(self.ln_pre(stacked)))  # (B, T/k, D_llm)

    def output_length(self, n_frames: int) -> int:
        """Audio tokens this projector makes from ``n_frames`` encoder frames."""
        return output_length(n_frames, self.downsample_rate)

    @classmethod
    def seeded(
        cls, encoder_dim: int, llm_dim: int, downsample_rate: int, output_rms: float = 1.0, seed: int = 0
    ) -> AudioProjector:
        """A projector as it is before any training, drawn from ``seed``: the same weights
        every call, without touching the caller's random state."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(encoder_dim, llm_dim, downsample_rate, output_rms)
