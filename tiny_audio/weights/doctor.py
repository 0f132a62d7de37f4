"""What this machine can run: hardware, which presets can load offline, what is cached.

``tiny-audio doctor`` prints ``report()``; lesson 1 shows it too.
"""

from __future__ import annotations

import platform
from pathlib import Path

import torch
import transformers

from .. import weights
from .cache import cache_dir
from ..config import ASRConfig
from ..presets import PRESETS, choose_preset
from .device import choose_device, choose_dtype, has_fast_bf16


def report(*, for_notebook: bool = False) -> str:
    """A few lines on the machine, each preset's weights, and the preset lessons will use.

    Args:
        for_notebook: give advice as Python (``dtype=torch.bfloat16``) rather than as a
            command-line flag, and the cache folder relative to the home folder.
    """
    device = choose_device()
    lines = [f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}"]
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(0)
        lines.append(f"device: cuda ({props.name}, {props.total_memory / 2**30:.0f} GiB) -> {choose_dtype(device)}")
    else:
        faster = "ASRModel.from_pretrained(..., dtype=torch.bfloat16)" if for_notebook else "--dtype bfloat16"
        bf16 = f"native bf16: yes, {faster} is faster here" if has_fast_bf16(device) else "no native bf16"
        threads = torch.get_num_threads()
        lines.append(f"device: cpu (no CUDA GPU visible), {threads} threads -> {choose_dtype(device)} ({bf16})")
    root = cache_dir()
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    shown = f"~/{root.relative_to(Path.home())}" if for_notebook and root.is_relative_to(Path.home()) else root
    lines.append(f"cache: {shown} ({size / 2**20:.0f} MiB)")
    lines.append("presets:")
    for preset in PRESETS:
        config = ASRConfig.from_pretrained(preset)
        ready = True
        lines.append(f"  {preset}")
        for model_id in (config.audio_model_id, config.text_model_id):
            where = weights.availability(model_id)
            ready &= where is not None
            lines.append(f"    {model_id}: {where or 'not available offline -> ' + weights.missing_hint(model_id)}")
        lines.append(f"    -> {'can load' if ready else 'architecture only (meta device)'}")
    lines.append(f"default preset on this machine: {choose_preset(device)}")
    return "\n".join(lines)


def prepare() -> None:
    """Convert the embedded preset's packaged weights into the cache now, not at first use."""
    for model_id in weights.EMBEDDED_SOURCES:
        weights.locate(model_id)
