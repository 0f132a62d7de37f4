"""The feature cache: encoder frames computed once per clip, through the model's own
``get_audio_features``, kept on disk for training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tiny_audio.data.features import FeatureCache, JoinedFeatures


@pytest.fixture
def built(tiny_model, tiny_features, tmp_path):
    """A tiny random model and the cache it built of ``tiny_sentences``: ``(model, cache)``."""
    model = tiny_model()
    return model, tiny_features(model, tmp_path / "features")


def test_feature_cache_round_trip(built, tiny_sentences):
    _, features = built
    assert len(features) == len(tiny_sentences) and features.encoder_dim == 16
    frames, text = features[1]
    assert frames.shape == (63, 16) and frames.dtype == torch.float32  # 1.25 s -> 125 mel -> 63 frames
    assert text == tiny_sentences[1]
    assert FeatureCache(features.folder)[1][0].equal(frames)
    assert features.encoder_padding_seconds is None  # encoded over the whole 30 s window


def test_feature_cache_encodes_as_the_config_says(built, tiny_features, tmp_path):
    model, features = built
    full = features
    model.config.encoder_padding_seconds = 1.0
    short = tiny_features(model, tmp_path / "short")
    assert short.encoder_padding_seconds == 1.0
    assert short[1][0].shape == full[1][0].shape and not short[1][0].equal(full[1][0])


def test_damaged_feature_cache_is_refused(built):
    _, features = built
    with open(features.folder / "frames.f16", "ab") as f:
        f.write(b"\0\0")
    with pytest.raises(ValueError, match="damaged"):
        FeatureCache(features.folder)
    with pytest.raises(ValueError, match="not a feature cache"):
        FeatureCache(features.folder.parent / "nothing")


def test_cached_frames_are_what_inference_computes(built):
    model, features = built
    """One wiring path: the cache stores ``get_audio_features``' frames (as float16)."""
    audio = (np.random.default_rng(0).standard_normal(20_000) * 0.1).astype(np.float32)
    cache = FeatureCache.build(model, [(audio, "noise")], features.folder.parent / "one", progress=False)
    _, (frames,) = model.get_audio_features([audio])
    assert torch.equal(cache[0][0], frames.half().float())


def test_a_clip_longer_than_one_window_is_refused_in_one_line(built, tmp_path):
    model, _ = built
    long = np.zeros(31 * 16_000, dtype=np.float32)
    with pytest.raises(ValueError, match=r"clip 1 is 31.0 s long; .* split it or leave it out"):
        FeatureCache.build(model, [(long[:16_000], "short"), (long, "long")], tmp_path / "cache", progress=False)
    assert not (tmp_path / "cache").exists()  # nothing half-written


def test_the_cache_folder_is_named_after_the_encoder_and_its_padding(built, tmp_path):
    model, _ = built
    items = [(np.zeros(16_000, dtype=np.float32), "silence")]
    model.config.audio_model_id = "openai/whisper-base"
    model.config.encoder_padding_seconds = 5.0
    cache = FeatureCache.for_model(model, tmp_path, items)
    assert cache.folder == tmp_path / "features-openai--whisper-base-pad5s"
    assert FeatureCache.for_model(model, tmp_path, []).folder == cache.folder  # found again, not rebuilt


def test_joined_caches_read_as_one_dataset_in_order(built, tiny_features, tmp_path):
    model, first = built
    second = tiny_features(model, tmp_path / "second")
    joined = JoinedFeatures([first, second])
    assert len(joined) == len(first) + len(second) and joined.encoder_dim == first.encoder_dim
    assert [item["text"] for item in joined.items] == [item["text"] for item in first.items + second.items]
    for i in (0, len(first) - 1, len(first), len(joined) - 1, -1):
        cache, j = (first, i) if 0 <= i < len(first) else (second, i % len(joined) - len(first))
        frames, text = joined[i]
        assert text == cache[j][1] and torch.equal(frames, cache[j][0])
    with pytest.raises(IndexError):
        joined[len(joined)]


def test_caches_encoded_differently_are_not_joined(built, tiny_features, tmp_path):
    model, first = built
    model.config.encoder_padding_seconds = 1.0
    padded = tiny_features(model, tmp_path / "padded")
    with pytest.raises(ValueError, match="encode every dataset with the same model"):
        JoinedFeatures([first, padded])
    with pytest.raises(ValueError, match="no feature caches"):
        JoinedFeatures([])
