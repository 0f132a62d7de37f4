"""Interactive explorers for lesson 2, each a thin ipywidgets wrapper over a plain function.

A widget only redraws; the work happens in ``describe_clip``, ``projector_at_rate`` and
``mel_at``, which the tests call over every value a widget can take. ipywidgets is
imported inside the widget builders, so the functions work without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from .data.clips import Clip, clip_names, load_clip
from .encoder import ENCODER_FRAMES_PER_SECOND
from .log_mel import HOP_LENGTH, MAX_MELS, N_FFT, log_mel_spectrogram
from .projector import AudioProjector, stack_frames
from .sampling import SAMPLE_RATE

if TYPE_CHECKING:
    import ipywidgets

DOWNSAMPLE_RATES = tuple(range(1, 11))  # k on the slider
MEL_BIN_CHOICES = tuple(range(16, MAX_MELS + 1, 16))  # 16, 32, ..., 128
HOP_CHOICES = (80, 160, 240, 320, 400)  # 5 ms .. 25 ms (a hop longer than N_FFT would skip audio)
SEED_DIMS = (1280, 3584)  # whisper-large-v3 frames -> Qwen2-7B embeddings


def describe_clip(name: str) -> tuple[Clip, str]:
    """A bundled clip and one line about it: name, duration, samples, transcript."""
    clip = load_clip(name)
    return clip, f"{clip.name}: {clip.duration:.2f} s = {len(clip.audio):,} samples at 16 kHz — “{clip.text}”"


@dataclass(frozen=True)
class ProjectorShapes:
    """What one downsample rate ``k`` does to the projector's shapes and size."""

    k: int
    encoder: tuple[int, int]  # (frames, encoder_dim)
    stacked: tuple[int, int]  # (tokens, encoder_dim * k)
    projected: tuple[int, int]  # (tokens, llm_dim)
    tokens_per_second: float
    parameters: int  # this projector's trainable parameters
    seed_parameters: int  # the seed preset's projector at the same k

    def __str__(self) -> str:
        return (
            f"k = {self.k}: encoder {self.encoder} -> stacked {self.stacked} -> projected {self.projected}\n"
            f"  {self.tokens_per_second:g} audio tokens per second for the LLM to read\n"
            f"  projector parameters: {self.parameters:,} here, {self.seed_parameters:,} for the seed preset"
        )


def _parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def projector_at_rate(frames: torch.Tensor, llm_dim: int, k: int) -> ProjectorShapes:
    """Build a fresh projector with downsample rate ``k`` and run it on ``frames``.

    Args:
        frames: encoder output, ``(1, n_frames, encoder_dim)``.
        llm_dim: the LLM's embedding width.
        k: encoder frames stacked per audio token.
    """
    projector = AudioProjector.seeded(frames.shape[-1], llm_dim, k)
    with torch.device("meta"):
        seed_projector = AudioProjector(*SEED_DIMS, k)
    with torch.no_grad():
        projected = projector(frames.float())  # (1, T/k, llm_dim)
    stacked = stack_frames(frames, k)  # (1, T/k, k*D)
    return ProjectorShapes(
        k=k,
        encoder=tuple(frames.shape[1:]),
        stacked=tuple(stacked.shape[1:]),
        projected=tuple(projected.shape[1:]),
        tokens_per_second=ENCODER_FRAMES_PER_SECOND / k,
        parameters=_parameter_count(projector),
        seed_parameters=_parameter_count(seed_projector),
    )


def mel_at(audio: np.ndarray, n_mels: int, hop_length: int) -> tuple[torch.Tensor, str]:
    """The clip's log-mel at another resolution (no 30 s padding), and a line about it.

    Returns:
        features ``(n_mels, len(audio) // hop_length)`` and e.g.
        ``"80 mel bins x 299 frames (100 frames/s, one every 10.0 ms) = 23,920 numbers"``.
    """
    mel = log_mel_spectrogram(audio, n_mels, hop_length=hop_length, pad_to_window=False)
    frames = mel.shape[-1]
    line = (
        f"{n_mels} mel bins x {frames} frames ({SAMPLE_RATE / hop_length:g} frames/s, one every "
        f"{1000 * hop_length / SAMPLE_RATE:.1f} ms, window {1000 * N_FFT / SAMPLE_RATE:.0f} ms) "
        f"= {n_mels * frames:,} numbers"
    )
    return mel, line


# ---- the widgets --------------------------------------------------------------------------


def _redraw(output: ipywidgets.Output, *items: object) -> None:
    """Replace what an ``ipywidgets.Output`` shows with ``items``, formatted here in the kernel.

    The outputs are set on the widget's model, not captured with ``with output:`` (which
    needs a frontend to route them), so a widget shows the same in JupyterLab, under
    nbclient and under nbval. Figures are closed first: after every widget message the
    kernel shows and closes all open pyplot figures (matplotlib-inline's post_execute hook),
    with ipykernel's subshells possibly on another thread while this one draws; a figure
    drawn by two threads at once comes out blank.
    """
    import matplotlib.pyplot as plt
    from IPython import get_ipython
    from IPython.core.formatters import DisplayFormatter

    for item in items:
        if isinstance(item, plt.Figure):
            plt.close(item)
    shell = get_ipython()
    formatter = shell.display_formatter if shell is not None else DisplayFormatter()  # no IPython: the tests
    outputs = []
    for item in items:
        data, metadata = formatter.format(item)
        outputs.append({"output_type": "display_data", "data": data, "metadata": metadata})
    output.outputs = tuple(outputs)  # one update: the old view is replaced, never blank


def clip_picker(default: str = "0880") -> ipywidgets.VBox:
    """A dropdown of the bundled clips that shows the transcript, a player and the waveform."""
    import ipywidgets as widgets
    from IPython.display import Audio

    from .plotting import plot_waveform

    dropdown = widgets.Dropdown(options=clip_names(), value=default, description="clip")
    output = widgets.Output()

    def show(name: str) -> None:
        clip, line = describe_clip(name)
        ax = plot_waveform(clip.audio, title=line)
        ax.figure.set_size_inches(10, 2.5)
        _redraw(output, Audio(clip.audio, rate=SAMPLE_RATE), ax.figure)

    dropdown.observe(lambda change: show(change["new"]), names="value")
    show(default)
    return widgets.VBox([dropdown, output])


def downsample_slider(frames: torch.Tensor, llm_dim: int, k: int = 5) -> ipywidgets.VBox:
    """A slider over k that re-runs the projector and redraws the stacking and the counts."""
    import ipywidgets as widgets

    from .plotting import plot_frame_stacking

    slider = widgets.SelectionSlider(options=DOWNSAMPLE_RATES, value=k, description="k")
    output = widgets.Output()

    def show(k: int) -> None:
        shapes = projector_at_rate(frames, llm_dim, k)
        figure = plot_frame_stacking(frames[0], k, n_groups=4)
        _redraw(output, widgets.HTML(f"<pre>{shapes}</pre>"), figure)

    slider.observe(lambda change: show(change["new"]), names="value")
    show(k)
    return widgets.VBox([slider, output])


def mel_explorer(audio: np.ndarray) -> ipywidgets.VBox:
    """Two sliders (mel bins, hop length) that recompute and redraw the clip's log-mel."""
    import ipywidgets as widgets

    from .plotting import plot_spectrogram

    bins = widgets.SelectionSlider(options=MEL_BIN_CHOICES, value=80, description="mel bins")
    hop = widgets.SelectionSlider(options=HOP_CHOICES, value=HOP_LENGTH, description="hop")
    output = widgets.Output()

    def show(_change=None) -> None:
        mel, line = mel_at(audio, bins.value, hop.value)
        ax = plot_spectrogram(mel, title=line, frames_per_second=SAMPLE_RATE / hop.value)
        ax.figure.set_size_inches(10, 3)
        _redraw(output, ax.figure)

    bins.observe(show, names="value")
    hop.observe(show, names="value")
    show()
    return widgets.VBox([widgets.HBox([bins, hop]), output])
