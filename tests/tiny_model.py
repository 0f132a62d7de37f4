"""A tiny random-weight ASRModel with the embedded preset's real tokenizer, for testing the
training machinery in seconds (speed and correctness of the loop, not transcript quality)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, LlamaConfig, WhisperConfig

from tiny_audio import ASRConfig, ASRModel, weights
from tiny_audio.decoder import add_audio_token
from tiny_audio.features import FeatureCache

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "she sells sea shells by the sea shore",
    "a stitch in time saves nine",
    "all that glitters is not gold",
    "the early bird catches the worm",
    "actions speak louder than words",
]


def tiny_model(seed: int = 0) -> ASRModel:
    audio = WhisperConfig(d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                          decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, num_mel_bins=80)
    text = LlamaConfig(vocab_size=49152, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = ASRModel(ASRConfig(encoder_dim=16, llm_dim=32, audio_config=audio, text_config=text))
    model.tokenizer = AutoTokenizer.from_pretrained(weights.locate("HuggingFaceTB/SmolLM2-135M-Instruct"))
    add_audio_token(model.tokenizer)
    return model


def tiny_features(model: ASRModel, folder: Path) -> FeatureCache:
    """Encoder features of 1-2 s of seeded noise per sentence (the tiny encoder is random anyway)."""
    rng = np.random.default_rng(0)
    items = [(rng.standard_normal(16_000 + 4_000 * i).astype(np.float32) * 0.1, text) for i, text in enumerate(SENTENCES)]
    return FeatureCache.build(model, items, folder, progress=False)
