"""Encoder outputs computed once per clip and kept on disk, so training never re-runs Whisper.

The encoder is frozen: its output for a clip never changes during training. So we run it
once per clip, store the frames that hold audio as float16 in one flat file, and memory-map
that file while training. A cache folder holds::

    frames.f16    raw float16, (total_frames, encoder_dim): every clip's frames, end to end
    index.json    {"model_id", "encoder_dim", "items": [{"offset", "n_frames", "text"}, ...]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm.auto import tqdm

from ..log_mel import N_SAMPLES
from ..sampling import SAMPLE_RATE, load_audio
from ..weights.cache import atomic_dir, is_complete

if TYPE_CHECKING:
    from ..model import ASRModel

FRAMES_FILE = "frames.f16"
INDEX_FILE = "index.json"
ENCODE_BATCH = 8  # clips per encoder call (ASRModel.get_audio_features)


class FeatureCache:
    """A folder of cached encoder frames with their transcripts.

    ``cache[i]`` is ``(frames (n_frames, encoder_dim) float32, text)``.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            index = json.loads((self.folder / INDEX_FILE).read_text())
            self.model_id: str = index["model_id"]
            self.encoder_dim: int = index["encoder_dim"]
            self.encoder_padding_seconds: float | None = index.get("encoder_padding_seconds")  # absent: whole window
            self.items: list[dict] = index["items"]
        except (OSError, ValueError, KeyError) as err:
            raise ValueError(
                f"{self.folder} is not a feature cache ({type(err).__name__}: {err}); "
                "build it with FeatureCache.build(model, items, folder)"
            ) from None
        total = sum(item["n_frames"] for item in self.items)
        path = self.folder / FRAMES_FILE
        expected = total * self.encoder_dim * 2  # float16 bytes
        if not path.is_file() or path.stat().st_size != expected:
            raise ValueError(
                f"{path} should hold {expected:,} bytes of frames; the cache is damaged: delete {self.folder} and build it again"
            )
        self.frames = np.memmap(path, dtype=np.float16, mode="r", shape=(total, self.encoder_dim))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, str]:
        item = self.items[i]
        rows = self.frames[item["offset"] : item["offset"] + item["n_frames"]]
        return torch.from_numpy(np.asarray(rows, dtype=np.float32)), item["text"]

    @classmethod
    def for_model(
        cls, model: ASRModel, data_dir: str | Path, items: Sequence[tuple[str | Path | np.ndarray, str]]
    ) -> FeatureCache:
        """The cache of ``items`` (a dataset's clips) next to the dataset in ``data_dir``, built
        on first use. Frames encoded another way are cached apart: the folder is named after
        the encoder and its padding (``features-openai--whisper-base-pad5s``)."""
        padding = model.config.encoder_padding_seconds
        suffix = "" if padding is None else f"-pad{padding:g}s"
        folder = Path(data_dir) / f"features-{model.config.audio_model_id.replace('/', '--')}{suffix}"
        return cls(folder) if is_complete(folder) else cls.build(model, items, folder)

    @classmethod
    def build(
        cls,
        model: ASRModel,
        items: Sequence[tuple[str | Path | np.ndarray, str]],
        folder: str | Path,
        *,
        progress: bool = True,
    ) -> FeatureCache:
        """Encode every clip once with ``model``'s frozen encoder and write the cache.

        Args:
            model: an ``ASRModel`` with its encoder loaded.
            items: ``(audio file or 16 kHz array, transcript)`` pairs.
            folder: where the cache goes; written under a temporary name, then renamed.
        """
        if not items:
            raise ValueError("no clips to encode; pass (audio, text) pairs")
        folder = Path(folder)
        index = {"model_id": model.config.audio_model_id, "encoder_dim": model.config.encoder_dim,
                 "encoder_padding_seconds": model.config.encoder_padding_seconds, "items": []}
        offset = 0
        with atomic_dir(folder) as tmp, open(tmp / FRAMES_FILE, "wb") as out:
            for start in tqdm(range(0, len(items), ENCODE_BATCH), desc="encoding clips", disable=not progress):
                chunk = items[start : start + ENCODE_BATCH]
                audios = [load_audio(audio) for audio, _ in chunk]
                for k, ((audio, _), samples) in enumerate(zip(chunk, audios)):
                    if len(samples) > N_SAMPLES:
                        name = audio if isinstance(audio, (str, Path)) else f"clip {start + k}"
                        raise ValueError(f"{name} is {len(samples) / SAMPLE_RATE:.1f} s long; the feature cache holds "
                                         "clips of at most 30 s (one encoder window): split it or leave it out")
                _, frames = model.get_audio_features(audios)  # each (n_frames_i, D): the frames that hold audio
                for (_, text), clip_frames in zip(chunk, frames):
                    out.write(clip_frames.half().cpu().numpy().tobytes())
                    index["items"].append({"offset": offset, "n_frames": len(clip_frames), "text": text})
                    offset += len(clip_frames)
            out.flush()
            (tmp / INDEX_FILE).write_text(json.dumps(index))
        return cls(folder)


class JoinedFeatures:
    """Several feature caches read as one dataset, in order: ``joined[i]`` is
    ``(frames (n_frames, encoder_dim) float32, text)``, like one ``FeatureCache``.

    For training on several ``prepare-data`` folders at once. The caches must hold frames
    from the same encoder, encoded with the same padding.
    """

    def __init__(self, caches: Sequence[FeatureCache]) -> None:
        if not caches:
            raise ValueError("no feature caches to join; pass at least one")
        first = caches[0]
        for cache in caches[1:]:
            if (cache.model_id, cache.encoder_dim, cache.encoder_padding_seconds) != (
                first.model_id, first.encoder_dim, first.encoder_padding_seconds
            ):
                raise ValueError(
                    f"{cache.folder} holds frames from {cache.model_id} (padding {cache.encoder_padding_seconds} s) "
                    f"but {first.folder} from {first.model_id} (padding {first.encoder_padding_seconds} s); "
                    "encode every dataset with the same model"
                )
        self.caches = list(caches)
        self.model_id, self.encoder_dim = first.model_id, first.encoder_dim
        self.encoder_padding_seconds = first.encoder_padding_seconds
        self.items: list[dict] = [item for cache in self.caches for item in cache.items]
        self._starts = np.cumsum([0] + [len(cache) for cache in self.caches[:-1]])  # index of each cache's first clip

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, str]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"clip {i} of {len(self)}")
        i %= len(self)
        k = int(np.searchsorted(self._starts, i, side="right")) - 1
        return self.caches[k][i - int(self._starts[k])]


Features = FeatureCache | JoinedFeatures  # what training reads: one cache or several joined
