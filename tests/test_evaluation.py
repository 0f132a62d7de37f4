"""WER with jiwer on Whisper-normalized text."""

from __future__ import annotations

import numpy as np
import pytest

from tiny_audio.evaluation import (
    AlignedWord,
    ClipResult,
    Evaluation,
    align,
    error_counts,
    evaluate,
    librivox_items,
    noisy_items,
    normalize,
    word_error_rate,
)
from tiny_audio.sampling import snr_db


def test_normalization_forgives_spelling_not_words():
    assert normalize("And Mr. John Dashwood had then leisure.") == "and mister john dashwood had then leisure"
    assert normalize("He was not an ill-disposed young man!") == "he was not an ill disposed young man"


def test_wer_counts_substitutions_deletions_insertions():
    assert word_error_rate(["the cat sat on the mat"], ["The cat sat on the mat."]) == 0
    assert word_error_rate(["the cat sat on the mat"], ["the dog sat on mat"]) == pytest.approx(2 / 6)
    assert word_error_rate(["a b", "c d e f"], ["a b x", "c d e f"]) == pytest.approx(1 / 6)  # corpus-level


def test_empty_reference_is_refused():
    with pytest.raises(ValueError, match="empty after normalization"):
        word_error_rate(["uh um"], ["hello"])  # fillers only: nothing left to score


def test_evaluate_scores_each_clip_and_the_whole_set():
    items = librivox_items()
    assert len(items) == 5
    result = evaluate(lambda audio: "he was not an ill disposed young man", items)
    by_name = {c.name: c for c in result.clips}
    assert by_name["0880"].wer == 0 and by_name["0870"].wer > 0.9
    assert 0 < result.wer < 1 and result.to_dict()["clips"][1]["name"] == "0880"
    assert by_name["0880"].seconds == pytest.approx(47840 / 16000)
    assert by_name["0880"].words_per_second == pytest.approx(8 / (47840 / 16000))


def test_align_names_every_edit_on_normalized_words():
    steps = align("The cat sat on the mat.", "the cat sit on mat")
    assert steps == [
        AlignedWord("equal", "the", "the"),
        AlignedWord("equal", "cat", "cat"),
        AlignedWord("substitute", "sat", "sit"),
        AlignedWord("equal", "on", "on"),
        AlignedWord("delete", "the", None),
        AlignedWord("equal", "mat", "mat"),
    ]
    assert 2 / 6 == pytest.approx(word_error_rate(["The cat sat on the mat."], ["the cat sit on mat"]))
    assert [(s.op, s.hyp) for s in align("red blue", "so red blue now")] == [
        ("insert", "so"), ("equal", "red"), ("equal", "blue"), ("insert", "now")
    ]


def test_align_with_nothing_written_deletes_every_word():
    assert [step.op for step in align("a quiet room", "")] == ["delete"] * 3
    with pytest.raises(ValueError, match="no words after normalization"):
        align("", "hello")


def test_error_counts_tally_over_clips():
    clips = [
        ClipResult("1", "the cat sat", "the cat sit", 1 / 3, 1.0),
        ClipResult("2", "a cat sat down", "cat sit down now", 0.75, 1.0),
    ]
    counts = error_counts(clips)
    assert counts.substitutions.most_common(1) == [(("sat", "sit"), 2)]
    assert counts.deletions == {"a": 1} and counts.insertions == {"now": 1}


def test_noisy_items_reach_the_asked_snr_reproducibly():
    items = librivox_items()[:2]
    noisy = noisy_items(items, snr_db=10, seed=3)
    assert [n for n, *_ in noisy] == [n for n, *_ in items] and [t for *_, t in noisy] == [t for *_, t in items]
    for (_, clean, _), (_, loud, _) in zip(items, noisy):
        assert snr_db(clean, loud) == pytest.approx(10, abs=0.5)
    np.testing.assert_array_equal(noisy[0][1], noisy_items(items, snr_db=10, seed=3)[0][1])


def test_merge_recounts_the_corpus_wer():
    a = Evaluation([ClipResult("1", "a b c d", "a b c d", 0.0, 1.0)], 0.0)
    b = Evaluation([ClipResult("2", "e f", "e x", 0.5, 1.0)], 0.5)
    merged = Evaluation.merge([a, b])
    assert [c.name for c in merged.clips] == ["1", "2"] and merged.wer == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="no clips to merge"):
        Evaluation.merge([])
