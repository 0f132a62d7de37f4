"""The text the projector is trained on: example sentences from WordNet 3.0, offline.

WordNet (Princeton University, 2006) glosses every word sense with short example
sentences written by its lexicographers ("he repeated her remarks verbatim"): about
48,000 of them, in everyday modern English across every topic a dictionary covers —
the variety a speech recognizer should hear. They ship in Debian's ``wordnet-base``
package (``/usr/share/wordnet/data.{noun,verb,adj,adv}``); `extract_wordnet_examples`
turns those files into ``data/corpus/wordnet_examples.txt``, which ships with tiny_audio,
so no one needs the Debian package.

License: the WordNet 3.0 license (permissive, BSD-style: use, copy, modify and
distribute for any purpose, keeping Princeton's copyright notice and disclaimer, which
``data/corpus/ATTRIBUTION.md`` carries).

Rules every sentence obeys (`is_valid`): 5 to 25 words; only letters, digits, spaces and
basic punctuation (``. , ; : ' ? ! -``); starts with a capital letter and ends with
``.``, ``?`` or ``!``. Sentences are de-duplicated (ignoring case and punctuation) and
kept in WordNet's file order. Every 20th is held out for testing (`split="test"`), and
none repeats a transcript of the bundled LibriVox clips, which are for evaluation only.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .clips import CLIPS_DIR

CORPUS_DIR = Path(__file__).parent / "corpus"  # see ATTRIBUTION.md there
CORPUS_FILE = CORPUS_DIR / "wordnet_examples.txt"  # one sentence per line, built by extract_wordnet_examples
WORDNET_DIR = Path("/usr/share/wordnet")  # where Debian's wordnet-base puts the database
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")  # one line per synset

MIN_WORDS = 5  # shorter examples are phrases ("a good swimmer"), too little speech to learn from
MAX_WORDS = 25  # ~8 s of speech at an ordinary rate, well inside Whisper's 30 s window
TEST_EVERY = 20  # every 20th sentence is test-only: a 5% held-out split
SPLITS = ("train", "test")

ALLOWED = re.compile(r"[A-Za-z0-9 .,;:'?!-]+")  # letters, digits, basic punctuation
SENTENCE_END = ".?!"
EXAMPLE = re.compile(r'"([^"]*)"')  # WordNet quotes each example sentence in the gloss
GLOSS_SEP = " | "  # a synset line: offsets and pointers, then " | " and the gloss


def sentences(split: str = "train") -> list[str]:
    """The corpus sentences of one split, in a fixed order.

    Args:
        split: ``"train"`` (95%) or ``"test"`` (every 20th sentence, 5%).

    Returns:
        distinct sentences obeying `is_valid`, none from the LibriVox transcripts.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r} is not a corpus split; pass one of {SPLITS}")
    return list(_splits()[split])


@functools.cache
def _splits() -> dict[str, tuple[str, ...]]:
    """Read, check, de-duplicate and split the shipped corpus (once per process)."""
    if not CORPUS_FILE.is_file():
        raise FileNotFoundError(
            f"the corpus file {CORPUS_FILE} is missing; reinstall tiny-audio "
            "(it ships as package data) or rebuild it with write_corpus()"
        )
    lines = CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    held_out = {_key(text) for text in librivox_transcripts()}
    seen: set[str] = set()
    kept = []
    for line in lines:
        key = _key(line)
        if is_valid(line) and key not in seen and key not in held_out:
            seen.add(key)
            kept.append(line)
    return {
        "train": tuple(text for i, text in enumerate(kept) if i % TEST_EVERY != TEST_EVERY - 1),
        "test": tuple(kept[TEST_EVERY - 1 :: TEST_EVERY]),
    }


def is_valid(text: str) -> bool:
    """True when `text` obeys the corpus rules: 5-25 words, plain characters, one sentence."""
    return (
        MIN_WORDS <= len(text.split()) <= MAX_WORDS
        and ALLOWED.fullmatch(text) is not None
        and text[0].isupper()
        and text[-1] in SENTENCE_END
        and "  " not in text
        and ".." not in text
        and "--" not in text
    )


def _key(text: str) -> str:
    """What makes two sentences the same: their words, lower case, without punctuation."""
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def librivox_transcripts() -> list[str]:
    """The transcripts of the bundled LibriVox clips (evaluation only, never training)."""
    return [path.read_text(encoding="utf-8").strip() for path in sorted(CLIPS_DIR.glob("*.txt"))]


def clean(example: str) -> str | None:
    """One WordNet example as a corpus sentence, or None when it breaks the rules.

    Collapses whitespace, capitalizes the first letter and ends it with a full stop when
    it has no closing punctuation ("he left" -> "He left.").
    """
    text = " ".join(example.split()).strip(" ,;:")
    if not text:
        return None
    text = text[0].upper() + text[1:]
    if text[-1] not in SENTENCE_END:
        text += "."
    return text if is_valid(text) else None


def extract_wordnet_examples(wordnet_dir: Path = WORDNET_DIR) -> list[str]:
    """Every usable example sentence in a WordNet 3.0 database, de-duplicated, in file order.

    Args:
        wordnet_dir: the folder holding ``data.noun`` etc. (``apt-get install wordnet-base``
            puts it at ``/usr/share/wordnet``).

    Returns:
        the sentences `clean` accepts, first occurrence kept (~27,000).
    """
    missing = [name for name in WORDNET_FILES if not (wordnet_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"no WordNet database in {wordnet_dir} (missing {', '.join(missing)}); "
            "run `apt-get install wordnet-base` or pass the folder holding data.noun"
        )
    seen: set[str] = set()
    found = []
    for name in WORDNET_FILES:
        for line in (wordnet_dir / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("  ") or GLOSS_SEP not in line:  # the license header is indented
                continue
            gloss = line.split(GLOSS_SEP, 1)[1]
            for example in EXAMPLE.findall(gloss):
                text = clean(example)
                if text is not None and _key(text) not in seen:
                    seen.add(_key(text))
                    found.append(text)
    return found


def write_corpus(wordnet_dir: Path = WORDNET_DIR, path: Path = CORPUS_FILE) -> int:
    """Rebuild the shipped corpus file from a WordNet database; returns the sentence count."""
    texts = extract_wordnet_examples(wordnet_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{text}\n" for text in texts), encoding="utf-8")
    _splits.cache_clear()
    return len(texts)
