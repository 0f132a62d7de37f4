"""The speech bundled with the package: five real LibriVox sentences with known transcripts,
and two small synthesized datasets (see ``synthetic/ATTRIBUTION.md`` next to this file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..sampling import SAMPLE_RATE, load_audio

CLIPS_DIR = Path(__file__).parent / "librivox"  # see ATTRIBUTION.md there
SYNTHETIC_DIR = Path(__file__).parent / "synthetic"
SYNTHETIC_SPLITS = ("train", "test")  # 32 noisy training utterances; 60 clean held-out ones


# eq=False: comparing or hashing the audio array field by field would raise,
# so clips compare by identity.
@dataclass(frozen=True, eq=False)
class Clip:
    """One bundled sentence.

    Args:
        name: short id, the last part of the file name (``"0880"``).
        path: the WAV file.
        text: the reference transcript, lower case without punctuation.
        audio: float32 mono 16 kHz samples, shape `(n_samples,)`.
    """

    name: str
    path: Path
    text: str
    audio: np.ndarray = field(repr=False)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / SAMPLE_RATE


def _paths() -> dict[str, Path]:
    """Short name -> WAV path, sorted by name."""
    paths = sorted(CLIPS_DIR.glob("*.wav"))
    return {path.stem.rsplit("-", 1)[-1]: path for path in paths}


def clip_names() -> list[str]:
    """The short names of the bundled clips, sorted (``["0870", "0880", ...]``)."""
    return sorted(_paths())


def load_clip(name: str | int) -> Clip:
    """Load one clip by short name (``"0880"``), full file stem, or index into `clip_names()`."""
    paths = _paths()
    names = sorted(paths)
    if isinstance(name, int):
        if not -len(names) <= name < len(names):
            raise ValueError(
                f"clip index {name} is out of range; pass 0..{len(names) - 1} or one of {names}"
            )
        name = names[name]
    stems = {path.stem: short for short, path in paths.items()}
    short = stems.get(name, name)
    if short not in paths:
        raise ValueError(
            f"no bundled clip named {name!r}; pass one of {names} or an index 0..{len(names) - 1}"
        )
    path = paths[short]
    text = path.with_suffix(".txt").read_text(encoding="utf-8").strip()
    return Clip(name=short, path=path, text=text, audio=load_audio(path))


def load_clips() -> list[Clip]:
    """All bundled clips, in `clip_names()` order."""
    return [load_clip(name) for name in clip_names()]


def synthetic_folder(split: str) -> Path:
    """The bundled synthesized dataset of ``split`` (a ``prepare-data`` folder)."""
    if split not in SYNTHETIC_SPLITS:
        raise ValueError(f"no bundled synthetic split {split!r}; pass one of {list(SYNTHETIC_SPLITS)}")
    return SYNTHETIC_DIR / split
