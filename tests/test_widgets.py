"""The lesson-2 widgets: their functions over every value a widget offers, and the widgets themselves."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from tiny_audio import clip_names, load_clip
from tiny_audio.widgets import (
    DOWNSAMPLE_RATES,
    HOP_CHOICES,
    MEL_BIN_CHOICES,
    clip_picker,
    describe_clip,
    downsample_slider,
    mel_at,
    mel_explorer,
    projector_at_rate,
)

FRAMES = torch.randn(1, 150, 512)  # 3 s of embedded-preset encoder output


@pytest.mark.parametrize("name", clip_names())
def test_describe_every_clip(name):
    clip, line = describe_clip(name)
    assert line.startswith(name) and f"{clip.duration:.2f} s" in line and clip.text in line


@pytest.mark.parametrize("k", DOWNSAMPLE_RATES)
def test_projector_at_every_rate(k):
    shapes = projector_at_rate(FRAMES, llm_dim=576, k=k)
    tokens = -(-150 // k)
    assert shapes.stacked == (tokens, 512 * k) and shapes.projected == (tokens, 576)
    assert shapes.tokens_per_second == 50 / k
    assert shapes.parameters == 512 * k * 576 + 576 + 512 * k + 576
    assert shapes.seed_parameters == 1280 * k * 3584 + 3584 + 1280 * k + 3584
    assert f"k = {k}" in str(shapes)


def test_seed_rate_reproduces_the_lesson_numbers():
    shapes = projector_at_rate(FRAMES, 576, 5)
    assert shapes.seed_parameters == 22_951_168 and shapes.projected == (30, 576)


@pytest.mark.parametrize(("n_mels", "hop"), list(itertools.product(MEL_BIN_CHOICES, HOP_CHOICES)))
def test_mel_at_every_setting(n_mels, hop):
    audio = load_clip("0880").audio
    mel, line = mel_at(audio, n_mels, hop)
    assert mel.shape == (n_mels, len(audio) // hop)
    assert torch.isfinite(mel).all()
    assert f"{n_mels} mel bins x {len(audio) // hop} frames" in line


def test_the_widgets_build_and_react():
    ipywidgets = pytest.importorskip("ipywidgets", reason="ipywidgets comes with the course extra")
    picker = clip_picker()
    picker.children[0].value = "0930"
    slider = downsample_slider(FRAMES, 576)
    slider.children[0].value = 10
    explorer = mel_explorer(load_clip("0880").audio)
    explorer.children[0].children[0].value = 128
    explorer.children[0].children[1].value = 400
    assert all(isinstance(w, ipywidgets.VBox) for w in (picker, slider, explorer))
