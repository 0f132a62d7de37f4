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

The same scores help the LLM while it writes (``decoder.CTCFusion``, joint CTC/LLM decoding,
Watanabe et al. 2017): each token it proposes is also judged by how well the transcript so
far plus that token accounts for the slots under CTC (``extend_prefixes``). Decoding keeps no
trained part of the head: ``SlotScores`` scores the slots against the embedding table at a
fixed scale, and a slot holds no new token when no word scores above a blank score, which
``tiny-audio train`` sets for each projector it trains (``even_blank_scores``,
``training.calibrated_fusion_blank``).
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


class SlotScores:
    """CTC log-probabilities of a batch of clips' slots over the whole embedding table, with
    no trained part: class ``i + 1`` (LLM token ``i``) scores ``scale * slot . embedding_i``
    and the blank (class 0) scores ``scale * blank_score`` in every slot.

    Only each slot's normalizer and blank log-probability are kept; a token's log-probability
    is computed when asked (``words``), so a 30 s window never holds ``(T, vocab)`` numbers.
    Slots past a clip's end are blanks for sure (log-probability 0), which leaves every CTC
    sum over that clip's own slots unchanged.

    Args:
        slots: each clip's projector output ``(T_i, llm_dim)``.
        embedding_table: the vectors the LLM reads ``(vocab_size, llm_dim)`` (``decoder.token_embeddings``).
        scale: multiplies every dot product.
        blank_score: the dot product the blank scores in every slot.

    Attributes:
        blank: each slot's blank log-probability ``(B, T_max)``.
    """

    def __init__(self, slots: Sequence[torch.Tensor], embedding_table: torch.Tensor, scale: float,
                 blank_score: float) -> None:
        self.table, self.scale = embedding_table.detach().float(), scale
        t_max = max(len(s) for s in slots)
        self.slots = embedding_table.new_zeros(len(slots), t_max, embedding_table.shape[-1], dtype=torch.float)
        self.norm = torch.full((len(slots), t_max), torch.inf, device=embedding_table.device)  # (B, T_max)
        for row, clip_slots in enumerate(slots):
            scores = scale * (clip_slots.float() @ self.table.T)  # (T_i, vocab)
            blank = torch.full_like(scores[:, :1], scale * blank_score)
            self.slots[row, : len(clip_slots)] = clip_slots.float()
            self.norm[row, : len(clip_slots)] = torch.cat([blank, scores], -1).logsumexp(-1)
        self.blank = torch.where(self.norm.isinf(), 0.0, scale * blank_score - self.norm)  # (B, T_max)

    def words(self, clips: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
        """Log-probabilities ``(R, T_max, K)`` of tokens ``token_ids (R, K)`` in every slot of
        clip ``clips[r]`` ``(R,)`` (-inf past the clip's end)."""
        dots = torch.einsum("rtd,rkd->rtk", self.slots[clips], self.table[token_ids])
        return self.scale * dots - self.norm[clips][..., None]


def even_blank_scores(slots: torch.Tensor, embedding_table: torch.Tensor, scale: float) -> torch.Tensor:
    """For each slot, the blank score at which ``SlotScores`` would make "no new token" exactly as
    likely as all tokens together: ``logsumexp(scale * slot . embedding) / scale`` over the
    whole table. ``(..., T, llm_dim)`` -> ``(..., T)``; a slot reads as a blank when the blank
    score is above its value."""
    return (scale * (slots.float() @ embedding_table.detach().float().T)).logsumexp(-1) / scale


def extend_prefixes(words: torch.Tensor, blank: torch.Tensor, r_n: torch.Tensor, r_b: torch.Tensor,
                    repeats: torch.Tensor, empty: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """CTC prefix scores of K one-class extensions of R prefixes (Watanabe et al. 2017, Alg. 2).

    A prefix's forward variables say, for each slot t, the log-probability that slots 0..t
    spelled exactly the prefix, ending in its last class (``r_n``) or in a blank (``r_b``).
    Its prefix score is the log-probability that *some* first stretch of the slots spells
    it, whatever follows: comparable between prefixes of any length, so a decoder can add it
    token by token. The score of a finished transcript is ``logaddexp(r_n[-1], r_b[-1])``.

    Args:
        words: the candidates' log-probabilities in every slot ``(R, T, K)``.
        blank: the blank's log-probability in every slot ``(R, T)``.
        r_n, r_b: each prefix's forward variables ``(R, T)``; for the empty prefix
            ``-inf`` and the running sum of ``blank``.
        repeats: the candidate is the prefix's last class ``(R, K)`` (it then needs a blank between).
        empty: the prefix is empty ``(R,)``.

    Returns:
        the extensions' ``r_n`` and ``r_b`` ``(R, T, K)`` and their prefix scores ``(R, K)``.
    """
    before = torch.where(repeats[:, None, :], r_b[..., None], torch.logaddexp(r_n, r_b)[..., None])  # (R, T, K)
    new_n, new_b = torch.full_like(words, -torch.inf), torch.full_like(words, -torch.inf)
    new_n[:, 0] = torch.where(empty[:, None], words[:, 0], -torch.inf)
    for t in range(1, words.shape[1]):
        new_n[:, t] = torch.logaddexp(new_n[:, t - 1], before[:, t - 1]) + words[:, t]
        new_b[:, t] = torch.logaddexp(new_b[:, t - 1], new_n[:, t - 1]) + blank[:, t, None]
    prefix_scores = torch.cat([new_n[:, :1], before[:, :-1] + words[:, 1:]], dim=1).logsumexp(1)
    return new_n, new_b, prefix_scores


def ctc_token_ids(tokenizer, text: str) -> list[int]:
    """The LLM token ids a CTC target is made of: the transcript as it reads mid-sentence
    (with its leading space), so a word is the same token wherever it stands."""
    return tokenizer(" " + text.strip(), add_special_tokens=False)["input_ids"]
