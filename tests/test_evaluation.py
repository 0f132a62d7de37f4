"""WER with jiwer on Whisper-normalized text."""

from __future__ import annotations

import pytest

from tiny_audio.evaluation import evaluate, librivox_items, normalize, word_error_rate


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
