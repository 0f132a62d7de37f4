"""The bundled LibriVox clips: five real sentences with transcripts."""

from __future__ import annotations

import numpy as np
import pytest

from tiny_audio.data.clips import CLIPS_DIR, Clip, clip_names, load_clip, load_clips, synthetic_folder
from tiny_audio.sampling import SAMPLE_RATE

NAMES = ["0870", "0880", "0890", "0920", "0930"]


def test_names():
    assert clip_names() == NAMES


def test_five_clips_of_real_speech():
    clips = load_clips()
    assert [clip.name for clip in clips] == NAMES
    for clip in clips:
        assert isinstance(clip, Clip)
        assert clip.audio.dtype == np.float32 and clip.audio.ndim == 1
        assert clip.duration == len(clip.audio) / SAMPLE_RATE
        assert 2.0 < clip.duration < 30.0  # real sentences, inside Whisper's window
        assert 0.01 < np.abs(clip.audio).max() <= 1.0
        assert clip.text and clip.text == clip.text.strip()
        assert clip.path.parent == CLIPS_DIR


def test_files_are_16k_mono():
    import soundfile as sf

    for clip in load_clips():
        info = sf.info(clip.path)
        assert (info.samplerate, info.channels) == (SAMPLE_RATE, 1)


def test_lookup_by_name_index_and_stem():
    by_name = load_clip("0880")
    assert by_name.text == "he was not an ill disposed young man"
    assert load_clip(1).name == "0880"
    assert load_clip(-1).name == "0930"
    assert load_clip("sense_and_sensibility_01_austen_64kb-0880").name == "0880"


def test_clip_is_frozen():
    clip = load_clip(0)
    with pytest.raises(AttributeError):
        clip.text = "something else"
    assert "audio=" not in repr(clip)  # 100k samples would flood the notebook


@pytest.mark.parametrize("name", ["0999", "hello", 5, -6])
def test_bad_name(name):
    with pytest.raises(ValueError, match="0870") as info:
        load_clip(name)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("split", "n", "noisy"), [("train", 32, True), ("test", 60, False)])
def test_bundled_synthetic_splits_hold_their_own_corpus_sentences(split, n, noisy):
    from tiny_audio.data import corpus
    from tiny_audio.data.synth import read_manifest

    records = read_manifest(synthetic_folder(split))
    assert len(records) == n
    assert {r["text"] for r in records} <= set(corpus.sentences(split))  # test sentences never trained on
    assert all((synthetic_folder(split) / r["path"]).is_file() for r in records)
    assert any(r["noise"] for r in records) == noisy


def test_unknown_synthetic_split_names_the_choices():
    with pytest.raises(ValueError, match=r"pass one of \['train', 'test'\]"):
        synthetic_folder("validation")
