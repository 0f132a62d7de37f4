"""The record of one pass through the pipeline: every stage's tensor, with its shape.

``ASRModel.trace(audio)`` fills one of these; the lessons print it and the plotting
helpers draw from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .encoder import ENCODER_FRAMES_PER_SECOND


@dataclass
class Trace:
    """Every intermediate result of transcribing one clip (batch of one, CPU tensors).

    Attributes:
        audio: the 16 kHz mono samples that went in, ``(n_samples,)``.
        sample_rate: samples per second of ``audio`` (always ``SAMPLE_RATE``, 16000).
        mel: the log-mel spectrogram padded to the 30 s window, ``(n_mels, 3000)``.
        n_mel_frames: how many of those frames hold audio (the rest is padding).
        encoder_frames: encoder output for the frames that hold audio, ``(n_enc, encoder_dim)``.
        stacked: ``k`` consecutive encoder frames concatenated, ``(n_audio_tokens, encoder_dim * k)``.
        projected: the projector's output, one LLM embedding per audio token,
            ``(n_audio_tokens, llm_dim)``.
        downsample_rate: ``k``, encoder frames per audio token.
        prompt_ids: the prompt's token ids with the audio placeholder expanded,
            ``(n_prompt,)``.
        audio_mask: True where ``prompt_ids`` holds an audio placeholder, ``(n_prompt,)``.
        prompt_tokens: the prompt as token strings (``n_prompt`` of them).
        generated_ids: the tokens the decoder wrote, ``(n_generated,)``.
        generated_tokens: those tokens as strings.
        token_probs: the probability the decoder gave each token it chose, ``(n_generated,)``.
        top_tokens: for each generated position, the 5 most likely tokens and their
            probabilities, ``[[(token, p), ...], ...]``.
        text: the decoded transcript.
    """

    audio: np.ndarray
    sample_rate: int
    mel: torch.Tensor
    n_mel_frames: int
    encoder_frames: torch.Tensor
    stacked: torch.Tensor
    projected: torch.Tensor
    downsample_rate: int
    prompt_ids: torch.Tensor
    audio_mask: torch.Tensor
    prompt_tokens: list[str]
    generated_ids: torch.Tensor
    generated_tokens: list[str]
    token_probs: torch.Tensor
    top_tokens: list[list[tuple[str, float]]]
    text: str

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Each stage's output shape, in pipeline order."""
        return {
            "audio": tuple(self.audio.shape),
            "log-mel": tuple(self.mel[:, : self.n_mel_frames].shape),
            "encoder": tuple(self.encoder_frames.shape),
            "stacked": tuple(self.stacked.shape),
            "projector": tuple(self.projected.shape),
            "prompt": tuple(self.prompt_ids.shape),
            "generated": tuple(self.generated_ids.shape),
        }

    def __str__(self) -> str:
        seconds = len(self.audio) / self.sample_rate
        lines = [f"Trace of {seconds:.2f} s of audio"]
        notes = {
            "audio": f"{self.sample_rate} samples/s",
            "log-mel": f"(n_mels, frames), of {self.mel.shape[1]} after padding to 30 s",
            "encoder": f"(frames, encoder_dim), {ENCODER_FRAMES_PER_SECOND} frames/s",
            "stacked": f"(tokens, encoder_dim x {self.downsample_rate})",
            "projector": "(tokens, llm_dim)",
            "prompt": f"{int(self.audio_mask.sum())} audio placeholders",
            "generated": "tokens",
        }
        for name, shape in self.shapes().items():
            lines.append(f"  {name:<10} {str(shape):<16} {notes[name]}")
        lines.append(f"  text       {self.text!r}")
        return "\n".join(lines)
