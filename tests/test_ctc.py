"""The CTC scores decoding uses: ``SlotScores`` and the prefix scores of ``extend_prefixes``,
checked against every path of a small example and against torch's own CTC loss."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from tiny_audio.ctc import SlotScores, even_blank_scores, extend_prefixes

N_SLOTS, N_CLASSES = 6, 4  # class 0 is the blank; small enough to list all 4**6 paths


def _collapse(path):
    """A CTC path's labels: repeats merged, blanks dropped."""
    return tuple(c for c, _ in itertools.groupby(path) if c != 0)


@pytest.fixture(scope="module")
def log_probs():
    return torch.randn(N_SLOTS, N_CLASSES, generator=torch.Generator().manual_seed(3), dtype=torch.float64).log_softmax(-1)


@pytest.fixture(scope="module")
def path_sums(log_probs):
    """For every label sequence, the log-probability of the paths that spell it exactly."""
    sums: dict[tuple, list[float]] = {}
    for path in itertools.product(range(N_CLASSES), repeat=N_SLOTS):
        sums.setdefault(_collapse(path), []).append(float(log_probs[range(N_SLOTS), path].sum()))
    return {labels: torch.tensor(values, dtype=torch.float64).logsumexp(0) for labels, values in sums.items()}


def _prefix_scores(log_probs, labels):
    """Extend the empty prefix by ``labels`` one at a time; every prefix's score and the whole
    transcript's final score."""
    blank = log_probs[None, :, 0]  # (1, T)
    r_n, r_b = torch.full_like(blank, -torch.inf), blank.cumsum(-1)
    scores, last = [], -1
    for i, label in enumerate(labels):
        words = log_probs[None, :, [label]]  # (1, T, 1)
        new_n, new_b, score = extend_prefixes(words, blank, r_n, r_b, repeats=torch.tensor([[label == last]]),
                                              empty=torch.tensor([i == 0]))
        r_n, r_b, last = new_n[..., 0], new_b[..., 0], label
        scores.append(float(score[0, 0]))
    return scores, float(torch.logaddexp(r_n[0, -1], r_b[0, -1]))


@pytest.mark.parametrize("labels", [(1,), (2, 3), (3, 3), (1, 2, 1), (2, 2, 2)])
def test_prefix_scores_sum_every_path_that_begins_with_the_prefix(log_probs, path_sums, labels):
    scores, final = _prefix_scores(log_probs, labels)
    for n in range(1, len(labels) + 1):
        begins = [value for spelled, value in path_sums.items() if spelled[:n] == labels[:n]]
        assert scores[n - 1] == pytest.approx(float(torch.stack(begins).logsumexp(0)), abs=1e-9)
    assert final == pytest.approx(float(path_sums[labels]), abs=1e-9)


def test_a_finished_transcript_scores_what_torch_ctc_loss_says(log_probs):
    labels = (2, 1, 1)
    _, final = _prefix_scores(log_probs, labels)
    loss = F.ctc_loss(log_probs[:, None], torch.tensor([labels]), torch.tensor([N_SLOTS]), torch.tensor([3]),
                      reduction="sum")
    assert final == pytest.approx(-float(loss), abs=1e-9)


def test_more_labels_than_slots_can_hold_score_nothing(log_probs):
    scores, final = _prefix_scores(log_probs, (1, 1, 1, 1))  # a repeat needs a blank between: 7 slots
    assert scores[-1] == -torch.inf and final == -torch.inf


def test_slot_scores_are_a_softmax_over_the_blank_and_the_whole_table():
    generator = torch.Generator().manual_seed(0)
    table, slots = torch.randn(9, 4, generator=generator), [torch.randn(5, 4, generator=generator),
                                                            torch.randn(3, 4, generator=generator)]
    scores = SlotScores(slots, table, scale=2.0, blank_score=0.5)
    every_token = torch.arange(9).expand(2, 9)
    words = scores.words(torch.tensor([0, 1]), every_token)  # (2, 5, 9)
    for row, clip_slots in enumerate(slots):
        n = len(clip_slots)
        expected = torch.cat([torch.full((n, 1), 2.0 * 0.5), 2.0 * clip_slots @ table.T], -1).log_softmax(-1)
        assert torch.allclose(scores.blank[row, :n], expected[:, 0], atol=1e-5)
        assert torch.allclose(words[row, :n], expected[:, 1:], atol=1e-5)
    assert torch.equal(scores.blank[1, 3:], torch.zeros(2))  # past the second clip's end: a sure blank
    assert bool((words[1, 3:] == -torch.inf).all())


def test_at_its_even_blank_score_a_slot_is_an_even_bet_between_blank_and_any_token():
    torch.manual_seed(0)
    slot, table = torch.randn(1, 8), torch.randn(20, 8)
    even = float(even_blank_scores(slot, table, scale=3.0)[0])
    for blank_score, blank_probability in ((even, 0.5), (even + 1.0, 1 / (1 + math.exp(-3.0)))):
        scores = SlotScores([slot], table, scale=3.0, blank_score=blank_score)
        assert scores.blank[0, 0].exp().item() == pytest.approx(blank_probability, rel=1e-5)
