"""The training text: WordNet example sentences, checked, de-duplicated and split."""

from __future__ import annotations

import re

import pytest

from tiny_audio.data import corpus


@pytest.fixture(scope="module")
def train() -> list[str]:
    return corpus.sentences("train")


@pytest.fixture(scope="module")
def test() -> list[str]:
    return corpus.sentences("test")


def test_train_split_holds_thousands_of_distinct_sentences(train):
    assert len(train) >= 3000
    assert len(set(train)) == len(train)
    assert len({corpus._key(text) for text in train}) == len(train)  # not even case or punctuation repeats


def test_every_sentence_obeys_the_rules(train, test):
    for text in train + test:
        assert corpus.MIN_WORDS <= len(text.split()) <= corpus.MAX_WORDS, text
        assert re.fullmatch(r"[A-Za-z0-9 .,;:'?!-]+", text), text
        assert text[0].isupper() and text[-1] in ".?!", text


def test_test_split_is_every_20th_sentence_and_disjoint_from_train(train, test):
    assert len(test) == (len(train) + len(test)) // corpus.TEST_EVERY
    assert not {corpus._key(t) for t in train} & {corpus._key(t) for t in test}


def test_no_librivox_transcript_is_in_the_corpus(train, test):
    transcripts = corpus.librivox_transcripts()
    assert len(transcripts) == 5
    keys = {corpus._key(text) for text in train + test}
    for transcript in transcripts:
        assert corpus._key(transcript) not in keys


def test_librivox_sentences_are_dropped_even_if_the_file_holds_them(tmp_path, monkeypatch):
    transcript = corpus.librivox_transcripts()[1]  # "he was not an ill disposed young man"
    lines = [f"A sentence that is fine number {i}." for i in range(40)]
    lines.insert(3, transcript[0].upper() + transcript[1:] + ".")
    path = tmp_path / "sentences.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(corpus, "CORPUS_FILE", path)
    corpus._splits.cache_clear()
    try:
        everything = corpus.sentences("train") + corpus.sentences("test")
    finally:
        corpus._splits.cache_clear()
    assert len(everything) == 40
    assert all("disposed" not in text for text in everything)


def test_order_is_fixed_and_callers_get_a_copy(train):
    again = corpus.sentences("train")
    assert again == train
    again.clear()
    corpus._splits.cache_clear()
    assert corpus.sentences("train") == train


def test_unknown_split_names_the_choices():
    with pytest.raises(ValueError, match="'train', 'test'"):
        corpus.sentences("validation")


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("he left the house in a hurry", "He left the house in a hurry."),
        ("  were you ever intimate with  this man? ", "Were you ever intimate with this man?"),
        ("he scored 20 points in the first half;", "He scored 20 points in the first half."),
        ("a good swimmer", None),  # too short
        ("they make good music--you should give them a hearing", None),  # a dash, not a sentence
        ("the permutations...taking place in the physical world", None),
        ("it cost $5 and (they said) more", None),  # characters outside the set
        (" ".join(["word"] * 26), None),  # too long
    ],
)
def test_clean_normalizes_or_rejects(example, expected):
    assert corpus.clean(example) == expected


def test_extract_reads_examples_from_a_wordnet_database(tmp_path):
    header = "  1 This software and database is being provided to you, the LICENSEE, by  \n"
    (tmp_path / "data.noun").write_text(
        header
        + '00001 03 n 01 thing 0 000 | an entity; "the thing he liked was the sea"; "a thing"  \n'
        + '00002 03 n 01 stuff 0 000 | material; "The thing he liked was the sea!"  \n',
        encoding="utf-8",
    )
    (tmp_path / "data.verb").write_text(
        '00003 29 v 01 run 0 000 | move fast; "she ran all the way to the station"  \n', encoding="utf-8"
    )
    for name in ("data.adj", "data.adv"):
        (tmp_path / name).write_text(header, encoding="utf-8")
    assert corpus.extract_wordnet_examples(tmp_path) == [
        "The thing he liked was the sea.",  # the second, with "!", repeats it
        "She ran all the way to the station.",
    ]


def test_extract_without_wordnet_says_how_to_install_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install wordnet-base"):
        corpus.extract_wordnet_examples(tmp_path)


@pytest.mark.skipif(
    not (corpus.WORDNET_DIR / "data.noun").is_file(),
    reason="Debian's wordnet-base is not installed (apt-get install wordnet-base); the shipped file is used",
)
def test_shipped_file_is_what_wordnet_gives():
    shipped = corpus.CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    assert corpus.extract_wordnet_examples() == shipped
