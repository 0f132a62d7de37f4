"""Word error rate the way the field computes it: jiwer, on text normalized like Whisper's papers.

WER = (substitutions + deletions + insertions) / words in the reference, summed over a
whole test set. Before counting, both sides go through Whisper's English normalizer
(lower case, no punctuation, "Mr." -> "mister", numbers spelled as digits), so a
recognizer is not charged for writing the same words differently.

For error analysis: ``align`` pairs the words of one reference and hypothesis,
``error_counts`` tallies which words a system confuses over a test set, and
``noisy_items`` makes a noisier copy of a test set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import jiwer
import numpy as np
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

from ..data.clips import load_clips, synthetic_folder
from ..sampling import SAMPLE_RATE, load_audio

# The British -> American spelling table that Whisper ships is not in our packaged
# tokenizer files; without it the normalizer does everything else the same way.
_NORMALIZER = EnglishTextNormalizer({})


def normalize(text: str) -> str:
    """Whisper's English text normalization: ``"Mr. Dashwood!"`` -> ``"mister dashwood"``."""
    return _NORMALIZER(text)


@dataclass(frozen=True)
class ClipResult:
    """One clip's reference, hypothesis, WER (after normalization) and length in seconds."""

    name: str
    reference: str
    hypothesis: str
    wer: float
    seconds: float

    @property
    def words_per_second(self) -> float:
        """The speaking rate: reference words (normalized) per second of audio."""
        return len(normalize(self.reference).split()) / self.seconds


@dataclass(frozen=True)
class Evaluation:
    """A test set's results: per clip, and the corpus WER (errors / reference words)."""

    clips: list[ClipResult]
    wer: float

    def to_dict(self) -> dict:
        return {"wer": self.wer, "clips": [asdict(c) for c in self.clips]}

    @classmethod
    def merge(cls, evaluations: Iterable[Evaluation]) -> Evaluation:
        """One evaluation over the clips of several (e.g. two test sets), its WER recounted."""
        clips = [clip for evaluation in evaluations for clip in evaluation.clips]
        if not clips:
            raise ValueError("there are no clips to merge; pass at least one non-empty evaluation")
        return cls(clips, word_error_rate([c.reference for c in clips], [c.hypothesis for c in clips]))


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER of normalized ``hypotheses`` against normalized ``references``."""
    refs = [normalize(r) for r in references]
    if not all(refs):
        raise ValueError("a reference is empty after normalization; WER is undefined for it")
    return jiwer.wer(refs, [normalize(h) for h in hypotheses])


def evaluate(
    transcribe: Callable[[np.ndarray], str] | Callable[[list[np.ndarray]], list[str]],
    items: Sequence[tuple[str, np.ndarray, str]],
    *,
    batched: bool = False,
) -> Evaluation:
    """Transcribe every ``(name, audio, reference)`` and score it.

    Args:
        transcribe: audio (16 kHz samples) -> text, e.g. ``model.transcribe``.
        items: the test set.
        batched: ``transcribe`` takes the list of all clips and returns their texts
            (``model.transcribe`` does: it then decodes them in batches).
    """
    audio = [a for _, a, _ in items]
    hypotheses = transcribe(audio) if batched else [transcribe(a) for a in audio]
    clips = [
        ClipResult(name, reference, hypothesis, word_error_rate([reference], [hypothesis]), len(audio) / SAMPLE_RATE)
        for (name, audio, reference), hypothesis in zip(items, hypotheses)
    ]
    return Evaluation(clips, word_error_rate([r for *_, r in items], hypotheses))


ALIGNMENT_OPS = ("equal", "substitute", "delete", "insert")


@dataclass(frozen=True)
class AlignedWord:
    """One step of a word alignment: ``op`` is one of ``ALIGNMENT_OPS``; ``ref`` is None
    for an insertion, ``hyp`` None for a deletion."""

    op: str
    ref: str | None
    hyp: str | None


def align(reference: str, hypothesis: str) -> list[AlignedWord]:
    """The minimum-edit word alignment of two normalized texts, word by word (jiwer's).

    Substitutions + deletions + insertions, divided by the reference's words, is the WER.
    """
    ref, hyp = normalize(reference), normalize(hypothesis)
    if not ref:
        raise ValueError(f"the reference {reference!r} has no words after normalization; align needs one")
    ref_words, hyp_words = ref.split(), hyp.split()
    steps = []
    for chunk in jiwer.process_words(ref, hyp).alignments[0]:
        refs = ref_words[chunk.ref_start_idx : chunk.ref_end_idx]
        hyps = hyp_words[chunk.hyp_start_idx : chunk.hyp_end_idx]
        if chunk.type == "delete":
            steps += [AlignedWord("delete", word, None) for word in refs]
        elif chunk.type == "insert":
            steps += [AlignedWord("insert", None, word) for word in hyps]
        else:  # equal and substitute chunks pair their words one to one
            steps += [AlignedWord(chunk.type, r, h) for r, h in zip(refs, hyps)]
    return steps


@dataclass(frozen=True)
class ErrorCounts:
    """How often each error occurred over a test set.

    Attributes:
        substitutions: ``(reference word, hypothesis word)`` -> count.
        deletions: reference words the system dropped -> count.
        insertions: words the system added -> count.
    """

    substitutions: Counter
    deletions: Counter
    insertions: Counter


def error_counts(clips: Iterable[ClipResult]) -> ErrorCounts:
    """Tally the word errors of ``clips`` (e.g. ``evaluation.clips``); ``.most_common(n)`` ranks them."""
    counts = ErrorCounts(Counter(), Counter(), Counter())
    for clip in clips:
        for step in align(clip.reference, clip.hypothesis):
            if step.op == "substitute":
                counts.substitutions[step.ref, step.hyp] += 1
            elif step.op == "delete":
                counts.deletions[step.ref] += 1
            elif step.op == "insert":
                counts.insertions[step.hyp] += 1
    return counts


def noisy_items(
    items: Sequence[tuple[str, np.ndarray, str]], snr_db: float, kind: str = "pink", seed: int = 0
) -> list[tuple[str, np.ndarray, str]]:
    """A copy of a test set with background noise added at ``snr_db`` dB (the same noise
    for the same ``seed``), to measure how a recognizer degrades as the room gets louder."""
    from ..data.synth import add_noise  # imported here: the data tools pull in more libraries

    rng = np.random.default_rng(seed)
    return [(name, add_noise(audio, snr_db, kind, rng), text) for name, audio, text in items]


def librivox_items() -> list[tuple[str, np.ndarray, str]]:
    """The bundled real recordings as a test set."""
    return [(clip.name, clip.audio, clip.text) for clip in load_clips()]


def synthetic_items(split: str = "test") -> list[tuple[str, np.ndarray, str]]:
    """A bundled synthesized dataset as a test set (``"test"``: 60 held-out sentences)."""
    return manifest_items(synthetic_folder(split))


def manifest_items(folder: str | Path) -> list[tuple[str, np.ndarray, str]]:
    """A folder made by ``tiny-audio prepare-data`` as a test set."""
    from ..data.synth import read_manifest  # imported here: the data tools pull in more libraries

    folder = Path(folder)
    return [(r["path"], load_audio(folder / r["path"]), r["text"]) for r in read_manifest(folder)]
