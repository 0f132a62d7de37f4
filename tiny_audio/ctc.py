"""A training aid: score each projector output against the LLM's own word table (CTC).

The projector's job is to hand the LLM vectors it can read. The LLM already has a table
of vectors it reads perfectly: its input embeddings, one per token. So before the LLM's
own loss can teach anything, we teach the projector to *point at the LLM's words*: each
output vector is scored against the embedding of every token the transcripts use, plus
one learned "blank" vector for slots between words, and CTC (connectionist temporal
classification) rewards any alignment of slots to the transcript's tokens in order.

    slot vectors (B, T, llm_dim) @ [blank; embeddings of the vocabulary]^T * scale
        -> log-probabilities (B, T, 1 + V) -> CTC loss against the transcript's token ids

This is fast (no LLM runs: one matrix product per step) and it already makes the
projector's output *mean* the right words: reading each slot's best-scoring token
(``greedy_readout``) gives a rough transcript with no LLM at all. It is a diagnostic and
a warm start, never the transcript: the shipped recognizer's text is written by the LLM.
The head (blank vector and scale) is used only in training and is not saved with the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

IGNORE_INDEX = -100  # pads label rows (the value cross-entropy and CTC here skip)


class CTCHead(nn.Module):
    """Scores slot vectors against a frozen copy of the LLM's embeddings of ``vocab_ids``.

    Args:
        embedding_table: the LLM's input embeddings ``(vocab_size, llm_dim)``.
        vocab_ids: the LLM token ids the transcripts use (class ``i + 1`` is ``vocab_ids[i]``;
            class 0 is the blank).
        start_scale: the score scale before training (``log_scale`` learns it from there).

    Attributes:
        blank: the learned vector a slot should resemble when it holds no new token ``(llm_dim,)``.
        log_scale: learned log of the score scale (dot products of RMS-sized vectors are small).
    """

    def __init__(self, embedding_table: torch.Tensor, vocab_ids: Sequence[int], start_scale: float = 10.0) -> None:
        super().__init__()
        if len(vocab_ids) == 0:
            raise ValueError("a CTC head needs at least one token id; pass the ids the transcripts use")
        ids = torch.tensor(sorted(set(int(i) for i in vocab_ids)))
        self.register_buffer("vocab_ids", ids, persistent=True)
        self.register_buffer("table", embedding_table.detach()[ids.to(embedding_table.device)].float().clone(),
                             persistent=False)
        self.blank = nn.Parameter(embedding_table.detach().float().mean(0).clone())
        self.log_scale = nn.Parameter(torch.tensor(math.log(start_scale)))
        lookup = torch.zeros(embedding_table.shape[0], dtype=torch.long)
        lookup[ids] = torch.arange(1, len(ids) + 1)
        self.register_buffer("class_of_id", lookup, persistent=False)  # LLM id -> class (0: not in vocab)

    @classmethod
    def for_transcripts(cls, embedding_table: torch.Tensor, tokenizer, texts: Iterable[str],
                        start_scale: float = 10.0) -> CTCHead:
        """A head over exactly the tokens that ``texts`` use (as ``ctc_token_ids`` splits them)."""
        ids = {i for text in texts for i in ctc_token_ids(tokenizer, text)}
        return cls(embedding_table, sorted(ids), start_scale)

    def forward(self, slots: torch.Tensor) -> torch.Tensor:
        """``(B, T, llm_dim)`` slot vectors -> ``(B, T, 1 + V)`` log-probabilities (class 0: blank)."""
        classes = torch.cat([self.blank[None], self.table], dim=0)  # (1 + V, D)
        return (self.log_scale.exp() * (slots.float() @ classes.T)).log_softmax(-1)

    def loss(self, slots: torch.Tensor, n_slots: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean CTC loss per target token.

        Args:
            slots: projector output ``(B, T, llm_dim)``.
            n_slots: how many slots of each row hold audio ``(B,)``.
            labels: LLM token ids ``(B, S)``, padded with ``IGNORE_INDEX``; ids outside the
                head's vocabulary are skipped.
        """
        log_probs = self(slots)  # (B, T, 1 + V)
        known = (labels >= 0) & (labels < len(self.class_of_id))  # IGNORE_INDEX pads fall out here
        classes = self.class_of_id[labels.masked_fill(~known, 0)].masked_fill(~known, 0)
        keep = classes > 0
        targets = [row[k] for row, k in zip(classes, keep)]
        return F.ctc_loss(
            log_probs.transpose(0, 1), torch.cat(targets), n_slots.cpu(),
            torch.tensor([len(t) for t in targets]), blank=0, reduction="mean", zero_infinity=True,
        )

    @torch.no_grad()
    def greedy_readout(self, slots: torch.Tensor, n_slots: Sequence[int] | torch.Tensor) -> list[list[int]]:
        """Each row's best class per slot, repeats merged and blanks dropped: LLM token ids."""
        best = self(slots).argmax(-1).cpu()  # (B, T)
        readouts = []
        for row, n in zip(best, n_slots):
            row = torch.unique_consecutive(row[: int(n)])
            readouts.append(self.vocab_ids.cpu()[row[row > 0] - 1].tolist())
        return readouts


def ctc_token_ids(tokenizer, text: str) -> list[int]:
    """The LLM token ids a CTC target is made of: the transcript as it reads mid-sentence
    (with its leading space), so a word is the same token wherever it stands."""
    return tokenizer(" " + text.strip(), add_special_tokens=False)["input_ids"]
