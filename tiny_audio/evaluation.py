"""Word error rate the way the field computes it: jiwer, on text normalized like Whisper's papers.

WER = (substitutions + deletions + insertions) / words in the reference, summed over a
whole test set. Before counting, both sides go through Whisper's English normalizer
(lower case, no punctuation, "Mr." -> "mister", numbers spelled as digits), so a
recognizer is not charged for writing the same words differently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import jiwer
import numpy as np
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

from .clips import load_clips, synthetic_folder
from .sampling import load_audio

# The British -> American spelling table that Whisper ships is not in our packaged
# tokenizer files; without it the normalizer does everything else the same way.
_NORMALIZER = EnglishTextNormalizer({})


def normalize(text: str) -> str:
    """Whisper's English text normalization: ``"Mr. Dashwood!"`` -> ``"mister dashwood"``."""
    return _NORMALIZER(text)


@dataclass(frozen=True)
class ClipResult:
    """One clip's reference, hypothesis, and WER (after normalization)."""

    name: str
    reference: str
    hypothesis: str
    wer: float


@dataclass(frozen=True)
class Evaluation:
    """A test set's results: per clip, and the corpus WER (errors / reference words)."""

    clips: list[ClipResult]
    wer: float

    def to_dict(self) -> dict:
        return {"wer": self.wer, "clips": [asdict(c) for c in self.clips]}


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER of normalized ``hypotheses`` against normalized ``references``."""
    refs = [normalize(r) for r in references]
    if not all(refs):
        raise ValueError("a reference is empty after normalization; WER is undefined for it")
    return jiwer.wer(refs, [normalize(h) for h in hypotheses])


def evaluate(transcribe: Callable[[np.ndarray], str], items: Sequence[tuple[str, np.ndarray, str]]) -> Evaluation:
    """Transcribe every ``(name, audio, reference)`` and score it.

    Args:
        transcribe: audio (16 kHz samples) -> text, e.g. ``model.transcribe``.
        items: the test set.
    """
    hypotheses = [transcribe(audio) for _, audio, _ in items]
    clips = [
        ClipResult(name, reference, hypothesis, word_error_rate([reference], [hypothesis]))
        for (name, _, reference), hypothesis in zip(items, hypotheses)
    ]
    return Evaluation(clips, word_error_rate([r for *_, r in items], hypotheses))


def librivox_items() -> list[tuple[str, np.ndarray, str]]:
    """The bundled real recordings as a test set."""
    return [(clip.name, clip.audio, clip.text) for clip in load_clips()]


def synthetic_items(split: str = "test") -> list[tuple[str, np.ndarray, str]]:
    """A bundled synthesized dataset as a test set (``"test"``: 60 held-out sentences)."""
    return manifest_items(synthetic_folder(split))


def manifest_items(folder: str | Path) -> list[tuple[str, np.ndarray, str]]:
    """A folder made by ``tiny-audio prepare-data`` as a test set."""
    from .synth import read_manifest  # imported here: the data tools pull in more libraries

    folder = Path(folder)
    return [(r["path"], load_audio(folder / r["path"]), r["text"]) for r in read_manifest(folder)]
