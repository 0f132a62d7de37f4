"""Plot helpers: right return type, draw into a passed axes, titled and labelled, never show."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display in tests; the package itself never picks a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.text import Annotation

from tiny_audio.evaluation import ClipResult, Evaluation
from tiny_audio.plotting import (
    ALIGNMENT_COLUMNS,
    plot_alignment,
    plot_encoder_frames,
    plot_frame_stacking,
    plot_loss_mask,
    plot_nearest_tokens,
    plot_pipeline,
    plot_sampling,
    plot_spectrogram,
    plot_stage_times,
    plot_token_probs,
    plot_trace,
    plot_training_history,
    plot_waveform,
    plot_wer_by_clip,
    plot_wer_vs_snr,
)
from tiny_audio.trace import Trace

SR = 16_000
SECONDS = 3
K = 5
TOKENS = [" The", " cat", " sat", " on", " the", " mat", ".", "\n", "<|im_end|>"]


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    """Fail any helper that calls plt.show; close every figure a test made."""

    def refuse(*args, **kwargs):
        raise AssertionError("plotting helpers must return figures, never call plt.show()")

    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


@pytest.fixture
def audio() -> np.ndarray:
    """3 s of a 200 Hz -> 6 kHz chirp plus a little noise, in [-1, 1]."""
    rng = np.random.default_rng(0)
    t = np.arange(SECONDS * SR) / SR
    phase = 2 * np.pi * (200 * t + (6000 - 200) / (2 * SECONDS) * t**2)
    return (0.5 * np.sin(phase) + 0.02 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture
def probs() -> torch.Tensor:
    return torch.linspace(0.3, 0.99, len(TOKENS))


@pytest.fixture
def top_tokens(probs) -> list[list[tuple[str, float]]]:
    return [[(tok, float(p)), (" x", (1 - float(p)) / 2), (" y", 0.01)] for tok, p in zip(TOKENS, probs)]


@pytest.fixture
def trace(audio, probs, top_tokens) -> Trace:
    """A Trace with the real shapes of 3 s through an 80-mel, 512-wide encoder, k = 5."""
    torch.manual_seed(0)
    n_prompt = 52
    audio_mask = torch.zeros(n_prompt, dtype=torch.bool)
    audio_mask[10:40] = True
    return Trace(
        audio=audio,
        sample_rate=SR,
        mel=torch.randn(80, 3000),
        n_mel_frames=300,
        encoder_frames=torch.randn(150, 512),
        stacked=torch.randn(30, 512 * K),
        projected=torch.randn(30, 576),
        downsample_rate=K,
        prompt_ids=torch.arange(n_prompt),
        audio_mask=audio_mask,
        prompt_tokens=[f"t{i}" for i in range(n_prompt)],
        generated_ids=torch.arange(len(TOKENS)),
        generated_tokens=TOKENS,
        token_probs=probs,
        top_tokens=top_tokens,
        text="The cat sat on the mat.",
    )


def _into_given_axes(draw) -> Axes:
    """Call ``draw(ax)`` on a fresh axes and check that it drew there without a new figure."""
    fig, ax = plt.subplots()
    n_figures = len(plt.get_fignums())
    returned = draw(ax)
    assert returned is ax
    assert returned.figure is fig
    assert len(plt.get_fignums()) == n_figures
    return ax


def _labelled(ax: Axes) -> None:
    assert ax.get_title()
    assert ax.get_xlabel()
    assert ax.get_ylabel()


def _image_axes(fig: Figure) -> list[Axes]:
    """The axes of ``fig`` that hold a heatmap (not colorbars or text panels)."""
    return [ax for ax in fig.axes if ax.images]


def _colorbar_label(ax: Axes) -> str:
    """The label of the colorbar drawn for ``ax``'s image."""
    colorbar = ax.images[0].colorbar
    assert isinstance(colorbar, Colorbar)
    return colorbar.ax.get_ylabel()


def test_plot_waveform(audio):
    ax = plot_waveform(audio)
    assert isinstance(ax, Axes)
    _labelled(ax)
    assert "(s)" in ax.get_xlabel()
    (line,) = ax.lines
    assert len(line.get_xdata()) == len(audio)
    assert line.get_xdata()[-1] == pytest.approx(SECONDS, abs=1e-3)

    ax = _into_given_axes(lambda ax: plot_waveform(torch.from_numpy(audio), ax=ax, title="mine"))
    assert ax.get_title() == "mine"


def test_plot_waveform_refuses_stereo(audio):
    with pytest.raises(ValueError, match="mono"):
        plot_waveform(np.stack([audio, audio]))


def test_plot_sampling(audio):
    fig = plot_sampling(audio, start=0.5, duration=0.01)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    for ax in fig.axes:
        _labelled(ax)
    assert fig.get_suptitle()
    high, low, bits, spectrum = fig.axes
    # 10 ms holds 160 samples at 16 kHz and 80 at 8 kHz.
    assert len(high.containers[0].markerline.get_xdata()) == 160
    assert len(low.containers[0].markerline.get_xdata()) == 80
    assert "4-bit" in bits.get_title()
    assert "kHz" in spectrum.get_xlabel()
    # The band 8 kHz sampling loses (4-8 kHz) is shaded.
    assert any(p.get_x() == pytest.approx(4.0) for p in spectrum.patches if isinstance(p, Rectangle))


def test_plot_sampling_refuses_a_window_past_the_end(audio):
    with pytest.raises(ValueError, match="outside"):
        plot_sampling(audio, start=2.995, duration=0.01)


def test_plot_spectrogram_shades_padding():
    mel = torch.randn(80, 3000)
    ax = plot_spectrogram(mel, n_frames=300)
    assert isinstance(ax, Axes)
    _labelled(ax)
    assert _colorbar_label(ax) == "log-mel (scaled)"
    assert ax.get_xlim() == pytest.approx((0, 30))  # the whole window, padding included
    texts = [t.get_text() for t in ax.texts]
    assert "padding to 30 s" in texts
    assert [line.get_xdata()[0] for line in ax.lines] == [pytest.approx(3.0)]  # end of audio


def test_plot_spectrogram_without_padding_and_into_axes():
    ax = _into_given_axes(lambda ax: plot_spectrogram(np.random.randn(80, 300), ax=ax))
    _labelled(ax)
    assert ax.get_xlim() == pytest.approx((0, 3))
    assert not ax.texts and not ax.lines


def test_plot_encoder_frames():
    frames = torch.randn(150, 512)
    ax = plot_encoder_frames(frames)
    assert isinstance(ax, Axes)
    _labelled(ax)
    assert _colorbar_label(ax)
    image = ax.images[0]
    assert image.get_array().shape == (128, 150)  # first 128 dims, one column per frame
    vmin, vmax = image.get_clim()
    assert vmin == pytest.approx(-vmax)  # symmetric around zero
    assert ax.get_xlim() == pytest.approx((0, 3))  # 150 frames at 50 frames/s

    ax = _into_given_axes(lambda ax: plot_encoder_frames(frames, ax=ax, max_dims=16))
    assert ax.images[0].get_array().shape == (16, 150)


def test_plot_encoder_frames_draws_each_dimension_on_its_own_scale():
    frames = torch.randn(150, 8) + torch.tensor([0, 0, 0, 40.0, 0, 0, 0, 0])  # dimension 3: an always-busy outlier
    frames[:, 3] += 5 * torch.randn(150)
    shown = np.asarray(plot_encoder_frames(frames).images[0].get_array())
    np.testing.assert_allclose(shown.mean(axis=1), 0, atol=1e-5)  # every dimension centred...
    np.testing.assert_allclose(shown.std(axis=1), 1, atol=1e-3)  # ...and scaled alike: the outlier no longer dominates
    raw = plot_encoder_frames(frames, standardize=False)
    np.testing.assert_allclose(np.asarray(raw.images[0].get_array()), frames.numpy().T)
    assert "standard deviations" in _colorbar_label(plot_encoder_frames(frames)) and _colorbar_label(raw) == "activation"


def test_plot_frame_stacking():
    frames = torch.randn(150, 512)
    fig = plot_frame_stacking(frames, K, n_groups=4, max_dims=24)
    assert isinstance(fig, Figure)
    ax_frames, ax_stacked = _image_axes(fig)
    assert ax_frames.images[0].get_array().shape == (24, 4 * K)
    assert ax_stacked.images[0].get_array().shape == (K * 24, 4)
    assert "(150, 512)" in ax_frames.get_title()
    assert "(30, 2560)" in ax_stacked.get_title()
    for ax in (ax_frames, ax_stacked):
        _labelled(ax)
    # One box per group on each side.
    assert len([p for p in ax_frames.patches if isinstance(p, Rectangle)]) == 4
    assert len([p for p in ax_stacked.patches if isinstance(p, Rectangle)]) == 4
    # The stacked column is frame after frame: its second block is the group's second frame.
    stacked = np.asarray(ax_stacked.images[0].get_array())
    np.testing.assert_allclose(stacked[24:48, 0], frames[1, :24].numpy())
    np.testing.assert_allclose(stacked[:24, 1], frames[K, :24].numpy())


def test_plots_take_tensors_on_any_dtype_with_grad():
    frames = torch.randn(150, 512, dtype=torch.bfloat16, requires_grad=True)
    ax = plot_encoder_frames(frames)
    assert ax.images[0].get_array().dtype == np.float32
    plot_frame_stacking(frames, K)
    plot_spectrogram(torch.randn(80, 3000, dtype=torch.float16), n_frames=300)


def test_plot_frame_stacking_with_few_frames_draws_fewer_groups():
    fig = plot_frame_stacking(np.random.randn(12, 8), K, n_groups=4)
    _, ax_stacked = _image_axes(fig)
    assert ax_stacked.images[0].get_array().shape == (K * 8, 2)
    assert "(3, 40)" in ax_stacked.get_title()  # the projector rounds 12 / 5 up
    with pytest.raises(ValueError, match="k must be"):
        plot_frame_stacking(np.random.randn(3, 8), K)


def test_plot_token_probs(probs, top_tokens):
    ax = plot_token_probs(TOKENS, probs, top_tokens=top_tokens)
    assert isinstance(ax, Axes)
    _labelled(ax)
    assert len(ax.containers[0]) == len(TOKENS)
    assert ax.get_ylim() == (0, 1)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "␣The"
    assert labels[7] == "\\n"
    assert labels[8] == "<|im_end|>"
    # The runner-up's token is written faintly on each bar.
    assert sum(t.get_text() == "␣x" for t in ax.texts) == len(TOKENS)


def test_plot_token_probs_shows_byte_level_whitespace():
    ax = plot_token_probs(["Ġspeech", "Ċ", "▁word", "a\tb"], [0.5, 0.5, 0.5, 0.5])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["␣speech", "\\n", "␣word", "a\\tb"]


def test_token_labels_spell_byte_level_text():
    """Byte-level BPE writes "’" as three stand-in characters; a label shows the character, and
    leaves plain text, SentencePiece and half a character alone."""
    ax = plot_token_probs(["âĢĻ", "Ġcafé", "café", "▁word", "âĢ"], [0.5] * 5)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["’", "␣café", "café", "␣word", "âĢ"]


def test_plot_token_probs_caps_and_says_so():
    tokens = [f" w{i}" for i in range(60)]
    ax = _into_given_axes(lambda ax: plot_token_probs(tokens, np.full(60, 0.5), ax=ax, max_tokens=40))
    assert len(ax.containers[0]) == 40
    assert "first 40 of 60" in ax.get_title()


def test_plot_token_probs_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="one probability per token"):
        plot_token_probs(TOKENS, np.ones(3))


def test_plot_pipeline_one_box_per_stage(trace):
    shapes = trace.shapes()
    ax = plot_pipeline(shapes)
    assert isinstance(ax, Axes)
    assert ax.get_title()
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(shapes) == 7
    texts = {t.get_text() for t in ax.texts if not isinstance(t, Annotation)}
    for name, shape in shapes.items():
        assert name in texts
        assert str(shape) in texts
    # The projector alone is coloured as trained.
    colours = [tuple(b.get_facecolor()) for b in boxes]
    projector = colours[list(shapes).index("projector")]
    assert colours.count(projector) == 1
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"frozen / no weights", "trained"}
    # Six arrows join seven boxes.
    assert len([t for t in ax.texts if isinstance(t, Annotation)]) == 6


def test_plot_pipeline_into_axes_and_short():
    ax = _into_given_axes(lambda ax: plot_pipeline({"audio": (48000,), "log-mel": (80, 300)}, ax=ax))
    assert len([p for p in ax.patches if isinstance(p, FancyBboxPatch)]) == 2


def test_plot_pipeline_names_the_models_under_their_stages():
    shapes = {"audio": (48000,), "encoder": (150, 512), "generated": (7,)}
    ax = plot_pipeline(shapes, notes={"encoder": "openai/whisper-base", "generated": "by SmolLM2-135M-Instruct"})
    notes = [t for t in ax.texts if t.get_style() == "italic"]
    assert [t.get_text() for t in notes] == ["openai/whisper-base", "by SmolLM2-135M-Instruct"]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    for note, box in zip(notes, boxes[1:]):  # written inside its own box
        assert box.get_x() < note.get_position()[0] < box.get_x() + box.get_width()
        assert box.get_y() < note.get_position()[1] < box.get_y() + box.get_height()


def test_plot_trace(trace):
    n_figures = len(plt.get_fignums())
    fig = plot_trace(trace)
    assert isinstance(fig, Figure)
    assert len(plt.get_fignums()) == n_figures + 1  # one figure, the panels drawn into it
    assert trace.text in fig.get_suptitle()
    wave, mel, enc, tok = fig.axes[:4]
    for ax in (wave, mel, enc, tok):
        _labelled(ax)
    assert len(tok.containers[0]) == len(TOKENS)
    assert any(t.get_text() == "padding to 30 s" for t in mel.texts)
    assert wave.get_xlim() == mel.get_xlim() == enc.get_xlim()  # one time axis


@pytest.fixture
def training_batch(tiny_model):
    from tiny_audio.training import make_batch

    model = tiny_model()
    examples = [(torch.zeros(150, 16), "the cat sat"), (torch.zeros(60, 16), "a much longer sentence than that")]
    return make_batch(examples, model.tokenizer, model.config.prompt, 5), model.tokenizer


def test_plot_loss_mask_colours_every_real_token_by_its_role(training_batch):
    batch, tokenizer = training_batch
    ax = plot_loss_mask(batch, tokenizer, index=0)
    n_real = int(batch.attention_mask[0].sum())
    cells = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(cells) == n_real  # padding is not drawn
    assert len(ax.get_xticklabels()) == n_real
    colours = [c.get_facecolor() for c in cells]
    n_scored = int((batch.labels[0] != -100).sum())
    assert colours.count(matplotlib.colors.to_rgba("tab:green")) == n_scored
    assert colours.count(matplotlib.colors.to_rgba("#fdae61")) == 30  # 150 frames / 5
    assert f"{n_scored} of {n_real} positions" in ax.get_title()


def test_plot_loss_mask_refuses_an_index_past_the_batch(training_batch):
    with pytest.raises(ValueError, match="out of range for a batch of 2"):
        plot_loss_mask(*training_batch, index=2)


def test_plot_training_history_draws_loss_mean_and_learning_rate():
    history = [{"step": i + 1, "loss": 5.0 - 0.01 * i, "lr": 1e-3} for i in range(200)]
    (ax,) = plot_training_history(history)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2 and len(ax.figure.axes) == 2  # loss + mean, learning rate on a twin
    assert ax.get_title() == "training\nloss (mean of 25) 4.88 -> 3.13 over 200 steps"  # the first and last 25


def test_plot_training_history_draws_a_panel_per_stage_with_the_held_out_loss():
    history = [{"step": i + 1, "stage": "ctc" if i < 100 else "llm", "loss": 5.0 - 0.01 * i, "lr": 1e-3}
               for i in range(200)]
    for h in history[9::10]:
        h["eval_loss"] = h["loss"] + 0.5
    ctc_ax, llm_ax = plot_training_history(history)
    assert ctc_ax.get_title().startswith("stage 1, CTC") and llm_ax.get_title().startswith("stage 2")
    assert len(ctc_ax.lines) == 3 and len(ctc_ax.lines[2].get_xdata()) == 10  # loss, mean, held-out
    assert "over 100 steps" in llm_ax.get_title()
    with pytest.raises(ValueError, match="history is empty"):
        plot_training_history([])


def test_plot_training_history_draws_a_thinned_record_without_learning_rates():
    # a shipped projector's record: one point per 25 steps, no learning rate
    history = [{"step": 25 * (i + 1), "stage": "ctc" if i < 40 else "llm", "loss": 5.0 - 0.01 * i} for i in range(100)]
    history[40]["step"], history[-1]["step"] = 1010, 2490  # thinned records keep points off the grid
    ctc_ax, llm_ax = plot_training_history(history)
    assert len(ctc_ax.figure.axes) == 2  # two loss panels, no learning-rate twins
    assert "over 1,000 steps" in ctc_ax.get_title() and "over 1,490 steps" in llm_ax.get_title()
    per_stage = [{**h, "step": h["step"] - (1000 if h["stage"] == "llm" else 0)} for h in history]
    assert "over 1,490 steps" in plot_training_history(per_stage)[1].get_title()  # steps counted from 1 in each stage


def test_plot_alignment_draws_each_edit_and_titles_the_wer():
    ax = plot_alignment("the cat sat on the mat", "The cat sat on a mat today.")
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("—") == 1  # the insertion has no reference word
    assert "today" in texts and "a" in texts
    assert ax.get_title() == "WER = 2 errors / 6 reference words = 33%"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["correct: 5", "substitution: 1", "deletion: 0", "insertion: 1"]
    plt.close("all")


def test_a_long_alignment_wraps_to_fit_a_notebook():
    reference = " ".join(["red green blue"] * 10)
    ax = plot_alignment(reference, reference.replace("blue ", "", 1))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["hypothesis", "reference"] * 3  # 30 steps: 3 lines of 10
    assert ax.get_xlim() == (0, ALIGNMENT_COLUMNS)
    assert ax.figure.get_size_inches()[0] < 15
    plt.close("all")


def _evaluation(wers: list[float], seconds: list[float]) -> Evaluation:
    clips = [ClipResult(f"c{i}", "red green blue", "x", w, s) for i, (w, s) in enumerate(zip(wers, seconds))]
    return Evaluation(clips, float(np.mean(wers)))


def test_plot_wer_by_clip_one_point_per_clip_and_system():
    _, ax = plt.subplots()
    evaluations = {"a": _evaluation([0.5, 1.0], [1.0, 3.0]), "b": _evaluation([0.0], [2.0])}
    plot_wer_by_clip(evaluations, by="words_per_second", ax=ax)
    offsets = [c.get_offsets() for c in ax.collections]
    np.testing.assert_allclose(offsets[0], [[3.0, 50.0], [1.0, 100.0]])  # 3 words in 1 s and in 3 s
    assert len(offsets[1]) == 1 and ax.get_xlabel() == "speaking rate (words/s)"
    with pytest.raises(ValueError, match="not a per-clip measure"):
        plot_wer_by_clip({"a": _evaluation([0.5], [1.0])}, by="loudness")
    plt.close("all")


def test_plot_wer_vs_snr_labels_clean_and_checks_lengths():
    ax = plot_wer_vs_snr([float("inf"), 10, 0], {"a": [0.1, 0.2, 0.5]})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["clean", "10 dB", "0 dB"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [10, 20, 50])
    with pytest.raises(ValueError, match="one WER per noise level"):
        plot_wer_vs_snr([10, 0], {"a": [0.1]})
    plt.close("all")


def test_plot_stage_times_stacks_each_settings_stages_and_labels_its_speed():
    times = {"defaults": {"encoder": 2.0, "decoder": 3.0}, "fast": {"encoder": 0.5, "decoder": 1.5}}
    ax = plot_stage_times(times, audio_seconds=10.0)
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == [2.0, 0.5, 3.0, 1.5]  # stage by stage, one bar segment per setting
    labels = [t.get_text().strip() for t in ax.texts]
    assert labels == ["5.0 s (2.0x faster than real time)", "2.0 s (5.0x faster than real time)"]
    rows = dict(zip((t.get_text() for t in ax.get_yticklabels()), ax.get_yticks()))
    assert rows["defaults"] > rows["fast"]  # the first setting on top
    with pytest.raises(ValueError, match="the same stages"):
        plot_stage_times({"a": {"encoder": 1.0}, "b": {"decoder": 1.0}}, 1.0)
    plt.close("all")


def test_plot_nearest_tokens_marks_the_slots_that_point_at_a_said_word():
    from tiny_audio.explore import NearestTokens

    nearest = NearestTokens(tokens=[[" was", " is"], [" global", " web"], [" man.", " men"]],
                            cosines=torch.tensor([[0.5, 0.4], [0.2, 0.1], [0.45, 0.3]]), norms=torch.ones(3),
                            token_norm=3.0)
    assert nearest.points_at("He WAS not a young man!") == [True, False, True]  # case and punctuation aside
    ax = plot_nearest_tokens(nearest, said="he was not a young man", baseline=0.25)
    _labelled(ax)
    bars = ax.containers[0]
    assert [bar.get_height() for bar in bars] == pytest.approx([0.5, 0.2, 0.45])
    said = [bar.get_facecolor() == matplotlib.colors.to_rgba("tab:green") for bar in bars]
    assert said == [True, False, True]
    assert [t.get_text() for t in ax.texts] == ["␣was", "␣global", "␣man."]
    assert ax.lines[0].get_ydata()[0] == pytest.approx(0.25)
    assert len(ax.get_legend().get_texts()) == 3

    ax = _into_given_axes(lambda ax: plot_nearest_tokens(nearest, ax=ax))  # no reference: all grey, no legend
    assert not any(bar.get_facecolor() == matplotlib.colors.to_rgba("tab:green") for bar in ax.containers[0])
    assert ax.get_legend() is None
