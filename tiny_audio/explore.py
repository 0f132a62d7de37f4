"""The seed lesson's workshop printout, and what the LLM sees in the projector's output.

``print_config`` and ``print_model`` are used by ``course/workshops/explore_architecture.py``
and ``tiny-audio explore``; ``nearest_tokens`` by Lesson 2 (the modality gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config import ASRConfig
from .model import ASRModel

RULE = "=" * 60
_PUNCTUATION = ".,;:!?'\""  # stripped before a token is compared with a word


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


@dataclass(frozen=True)
class NearestTokens:
    """What the LLM "sees" in each audio slot: the tokens whose input embeddings lie closest.

    Attributes:
        tokens: per slot, the ``k`` closest tokens as text, closest first.
        cosines: ``(n_slots, k)``, their cosine similarity to the slot's vector.
        norms: ``(n_slots,)``, the length of each slot's vector.
        token_norm: the median length of the LLM's own token embeddings: the size a slot
            should have to read like a word.
    """

    tokens: list[list[str]]
    cosines: torch.Tensor
    norms: torch.Tensor
    token_norm: float

    def closest(self) -> list[str]:
        """Each slot's closest token: the projector's output read as text."""
        return [candidates[0] for candidates in self.tokens]

    def points_at(self, text: str) -> list[bool]:
        """Per slot: is its closest token one of the words of ``text`` (case and punctuation
        aside)?"""
        words = {word.strip(_PUNCTUATION).lower() for word in text.split()}
        return [token.strip(" " + _PUNCTUATION).lower() in words for token in self.closest()]


def nearest_tokens(model: ASRModel, projected: torch.Tensor, k: int = 3) -> NearestTokens:
    """Find each projected vector's closest tokens in the LLM's input-embedding table.

    Closeness is cosine similarity: the direction of a vector says which word it looks like,
    its length how loudly (the projector's final RMSNorm sets the length).

    Args:
        model: the model whose LLM reads the vectors.
        projected: the projector's output, ``(n_slots, llm_dim)`` or ``(1, n_slots, llm_dim)``.
        k: how many tokens to keep per slot.
    """
    table = model.text_decoder.get_input_embeddings().weight.detach().float()  # (vocab, llm_dim)
    vectors = projected[0] if projected.dim() == 3 and len(projected) == 1 else projected  # (n_slots, llm_dim)
    if vectors.dim() != 2 or vectors.shape[1] != table.shape[1]:
        raise ValueError(f"expected the projector's output for one clip, (n_slots, {table.shape[1]}), "
                         f"got {tuple(projected.shape)}")
    vectors = vectors.detach().float().to(table.device)
    cosines, ids = (F.normalize(vectors, dim=-1) @ F.normalize(table, dim=-1).T).topk(k, dim=-1)
    tokens = [[model.tokenizer.decode([token_id]) for token_id in row] for row in ids.tolist()]
    return NearestTokens(tokens, cosines.cpu(), vectors.norm(dim=-1).cpu(), float(table.norm(dim=-1).median()))
