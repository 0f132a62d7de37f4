"""The seed lesson's workshop printout: what the config says, and what the model holds.

Used by ``course/workshops/explore_architecture.py`` and ``tiny-audio explore``.
"""

from __future__ import annotations

import torch

from .config import ASRConfig
from .model import ASRModel

RULE = "=" * 60


def print_config(config: ASRConfig) -> None:
    """Part 1: the three architectural choices an ``ASRConfig`` records."""
    print(RULE)
    print("PART 1: The ASRConfig - Our Architectural Blueprint")
    print(RULE)
    print(f"1. Audio Encoder ID  -> {config.audio_model_id}")
    print("   - This is our 'Listener'. It defines which pre-trained audio model to use.")
    print(f"   - Encoder output dimension: {config.encoder_dim}\n")
    print(f"2. Text Decoder ID   -> {config.text_model_id}")
    print("   - This is our 'Writer'. It defines which pre-trained language model to use.")
    print(f"   - LLM input dimension: {config.llm_dim}\n")
    print("3. Projector Config")
    print(f"   - Downsample Rate: {config.audio_downsample_rate}x")
    print("   - This defines how many audio frames are stacked by the 'Translator'.\n")


def print_model(model: ASRModel) -> None:
    """Part 2: the three modules inside an ``ASRModel``."""
    print(RULE)
    print("PART 2: The ASRModel - The Full Pipeline")
    print(RULE)
    print("ASRModel class contains the three main components:\n")
    print(f"1. model.audio_encoder:\n   {model.audio_encoder.__class__.__name__}\n")
    projector = str(model.audio_projector).replace("\n", "\n   ")
    print(f"2. model.audio_projector:\n   {projector}\n")
    print(f"3. model.text_decoder:\n   {model.text_decoder.__class__.__name__}\n")
    print("This single `ASRModel` object orchestrates the entire pipeline from audio to text.")


def explore(preset: str, *, load_weights: bool) -> ASRModel:
    """Print both parts for ``preset``; returns the model.

    Args:
        preset: a preset name or saved folder.
        load_weights: load the real weights; otherwise build on the ``meta`` device,
            which allocates no memory and downloads nothing (how we show the 8-billion-
            parameter seed architecture on any laptop).
    """
    config = ASRConfig.from_pretrained(preset)
    print_config(config)
    if load_weights:
        model = ASRModel.from_pretrained(preset)
    else:
        with torch.device("meta"):
            model = ASRModel(config)
    print_model(model)
    return model
