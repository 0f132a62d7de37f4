"""Nothing in the cache is ever half-written."""

from __future__ import annotations

import pytest

from tiny_audio.weights.cache import atomic_dir, atomic_write_bytes, is_complete, model_dir


def test_atomic_dir_publishes_only_on_success(tmp_path):
    final = tmp_path / "models" / "m"
    with atomic_dir(final) as tmp:
        (tmp / "weights.bin").write_bytes(b"x")
        assert not final.exists()
    assert is_complete(final) and (final / "weights.bin").read_bytes() == b"x"


def test_atomic_dir_leaves_nothing_when_interrupted(tmp_path):
    final = tmp_path / "models" / "m"
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(final) as tmp:
            (tmp / "weights.bin").write_bytes(b"half")
            raise KeyboardInterrupt
    assert not final.exists()
    assert list(final.parent.iterdir()) == []


def test_atomic_dir_keeps_a_finished_folder_from_another_process(tmp_path):
    final = tmp_path / "m"
    with atomic_dir(final) as first:
        (first / "a").write_text("first")
        with atomic_dir(final) as second:  # a second converter finishes first
            (second / "a").write_text("second")
    assert (final / "a").read_text() == "second" and is_complete(final)


def test_atomic_write_bytes(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    atomic_write_bytes(target, b"abc")
    assert target.read_bytes() == b"abc"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_model_dir_uses_the_cache_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TINY_AUDIO_CACHE", str(tmp_path))
    assert model_dir("openai/whisper-base") == tmp_path / "models" / "openai--whisper-base"
