"""Pictures of each pipeline stage, for the lessons.

Every helper draws into ``ax`` when one is passed and makes its own figure only when it
is not, so the lessons can compose them (``plot_trace`` does). None of them shows the
figure or touches ``rcParams``: the notebook displays what is returned.

Used in Lesson 2 (the end-to-end architecture): one picture per stage, from the sound wave
(``plot_waveform``, ``plot_sampling``) through the log-mel spectrogram
(``plot_spectrogram``), the encoder (``plot_encoder_frames``), the projector's frame
stacking (``plot_frame_stacking``), what the LLM sees in the projector's output
(``plot_nearest_tokens``) and the decoder's choices (``plot_token_probs``), to the
whole pass at once (``plot_pipeline``, ``plot_trace``).

Used in Lesson 3 (training the projector): which positions the loss counts
(``plot_loss_mask``) and how a run went (``plot_training_history``).

Used in Lesson 4 (evaluation): the word alignment behind a WER (``plot_alignment``), and
where a recognizer fails — per-clip WER against length or speaking rate
(``plot_wer_by_clip``) and WER as noise rises (``plot_wer_vs_snr``).

Used in Lesson 5 (publishing): where a transcription's time goes, stage by stage, with
the default and the fast settings (``plot_stage_times``).
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.container import StemContainer
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle
from scipy.signal import welch

from .encoder import ENCODER_FRAMES_PER_SECOND
from .log_mel import FRAMES_PER_SECOND
from .projector import output_length
from .sampling import SAMPLE_RATE, quantize, resample, snr_db
from .trace import Trace

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from .evaluation import Evaluation
    from .explore import NearestTokens
    from .training import Batch

__all__ = [
    "plot_alignment",
    "plot_encoder_frames",
    "plot_frame_stacking",
    "plot_loss_mask",
    "plot_nearest_tokens",
    "plot_training_history",
    "plot_pipeline",
    "plot_sampling",
    "plot_spectrogram",
    "plot_stage_times",
    "plot_token_probs",
    "plot_trace",
    "plot_waveform",
    "plot_wer_by_clip",
    "plot_wer_vs_snr",
]

_FROZEN_COLOUR = "#dbe4ee"  # pale blue-grey: weights that never change
_TRAINED_COLOUR = "#fdae61"  # orange: the projector, the one part we train
_GROUP_COLOURS = ("tab:green", "tab:purple")  # alternate groups; apart from the red-blue heatmap


def _numpy(x: torch.Tensor | np.ndarray | Sequence[float]) -> np.ndarray:
    """A float numpy copy of a tensor (any device, any dtype, with or without grad)."""
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` itself, or the axes of a new figure when it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# How whitespace is drawn in token labels. Byte-level BPE vocabularies (GPT-2, SmolLM2,
# Qwen) store a space as "Ġ" and a newline as "Ċ"; SentencePiece stores a space as "▁".
_VISIBLE_WHITESPACE = {
    " ": "␣", "Ġ": "␣", "▁": "␣",
    "\n": "\\n", "Ċ": "\\n",
    "\t": "\\t", "ĉ": "\\t",
    "\r": "\\r", "č": "\\r",
}


def _byte_level_alphabet() -> dict[str, int]:
    """Byte-level BPE's stand-in character for each byte (GPT-2's table, which SmolLM2 and Qwen
    share): printable Latin-1 bytes stand for themselves, the others for characters from U+0100."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    return {chr(b): b for b in printable} | {chr(256 + k): b for k, b in enumerate(others)}


_BYTE_OF = _byte_level_alphabet()


def _show_token(token: str) -> str:
    """A token as a label whose whitespace you can see: ``" the"`` or ``"Ġthe"`` -> ``"␣the"``;
    a byte-level token that spells other UTF-8 text as stand-ins shows that text
    (``"âĢĻ"`` -> ``"’"``)."""
    if any(ord(ch) >= 256 for ch in token) and all(ch in _BYTE_OF for ch in token):
        try:
            token = bytes(_BYTE_OF[ch] for ch in token).decode("utf-8")
        except UnicodeDecodeError:  # part of a character: keep the stand-ins
            pass
    shown = "".join(
        _VISIBLE_WHITESPACE.get(ch, ch if ch.isprintable() else repr(ch)[1:-1]) for ch in token
    )
    return shown or "''"


def plot_waveform(
    audio: np.ndarray | torch.Tensor,
    sample_rate: int = SAMPLE_RATE,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw the samples against time: what the microphone recorded.

    Used in Lesson 2, step 1 (digitization), and by ``plot_trace``.

    Args:
        audio: mono samples, ``(n_samples,)``, roughly in [-1, 1].
        sample_rate: samples per second of ``audio``.
        ax: axes to draw into; a new figure when None.
        title: the title; by default the sample count, rate and duration.

    Returns:
        The axes drawn into.
    """
    audio = _numpy(audio)
    if audio.ndim != 1:
        raise ValueError(
            f"expected mono audio of shape (n_samples,), got {audio.shape}; "
            "average the channels first"
        )
    ax = _axes(ax, figsize=(10, 3))
    seconds = len(audio) / sample_rate
    ax.plot(np.arange(len(audio)) / sample_rate, audio, linewidth=0.6, color="tab:blue")
    ax.set_xlim(0, seconds)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    ax.set_title(
        title
        or f"waveform: {len(audio):,} samples at {sample_rate / 1000:g} kHz = {seconds:.2f} s"
    )
    return ax


def _thin(stem: StemContainer) -> None:
    """Small dots and hairline stems, so 160 samples in a few inches stay apart."""
    stem.markerline.set_markersize(3)
    stem.stemlines.set_linewidth(0.6)


def plot_sampling(
    audio: np.ndarray | torch.Tensor,
    sample_rate: int = SAMPLE_RATE,
    *,
    rates: tuple[int, int] = (SAMPLE_RATE, SAMPLE_RATE // 2),
    bits: tuple[int, int] = (16, 4),
    start: float = 0.5,
    duration: float = 0.01,
) -> Figure:
    """Show what digitization keeps: sample rate in time and frequency, bit depth in amplitude.

    Three zoomed panels of the same few milliseconds: (a) the samples at ``rates[0]``,
    (b) the fewer samples left at ``rates[1]``, (c) the staircase left by rounding to
    ``bits[1]`` bits; and (d) the spectra of the whole clip at both rates, with the band
    the lower rate cannot hold (above its Nyquist frequency, half its rate) shaded.

    Used in Lesson 2, step 1 (digitization: why 16 kHz, why 16 bits).

    Args:
        audio: mono samples, ``(n_samples,)``, in [-1, 1] (full scale for quantization).
        sample_rate: samples per second of ``audio``.
        rates: (reference rate, lower rate) in Hz.
        bits: (reference bit depth, coarse bit depth) to compare.
        start: where the zoomed window begins, in seconds.
        duration: how long the zoomed window is, in seconds (10 ms holds 160 samples at 16 kHz).

    Returns:
        The figure, four panels.
    """
    audio = _numpy(audio)
    if len(rates) != 2 or len(bits) != 2:
        raise ValueError(f"rates and bits take two values each (reference, lower), got {rates} and {bits}")
    if start < 0 or start + duration > len(audio) / sample_rate:
        raise ValueError(
            f"the window {start:g}-{start + duration:g} s is outside the "
            f"{len(audio) / sample_rate:.2f} s clip; pass a smaller start or duration"
        )
    high_rate, low_rate = rates
    fine_bits, coarse_bits = bits
    high = quantize(resample(audio, sample_rate, high_rate), fine_bits)
    low = quantize(resample(audio, sample_rate, low_rate), fine_bits)

    def window(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
        first = round(start * rate)  # round, not ceil: 0.68 * 16000 is 10880.000000000002
        n = np.arange(first, first + round(duration * rate))
        return n / rate * 1000, x[n]  # (time in ms, samples)

    fig, axs = plt.subplots(2, 2, figsize=(12, 7), layout="constrained")
    (ax_high, ax_low), (ax_bits, ax_spec) = axs
    t_high, x_high = window(high, high_rate)
    t_low, x_low = window(low, low_rate)

    stems = {"markerfmt": "o", "basefmt": "none"}
    _thin(ax_high.stem(t_high, x_high, linefmt="tab:blue", **stems))
    ax_high.set_title(
        f"(a) {high_rate / 1000:g} kHz, {fine_bits}-bit: {len(t_high)} samples in "
        f"{duration * 1000:g} ms (one every {1e6 / high_rate:.1f} µs)"
    )

    ax_low.plot(t_high, x_high, color="0.7", linewidth=1, label=f"{high_rate / 1000:g} kHz")
    _thin(ax_low.stem(t_low, x_low, linefmt="tab:red", label=f"{low_rate / 1000:g} kHz", **stems))
    ax_low.set_title(
        f"(b) {low_rate / 1000:g} kHz keeps {len(t_low)} samples "
        f"(one every {1e6 / low_rate:.1f} µs)"
    )

    levels = 2**coarse_bits
    step = 2.0 / levels
    quantized = quantize(x_high, coarse_bits)
    ax_bits.plot(t_high, x_high, color="0.7", linewidth=1, label="original")
    ax_bits.step(t_high, quantized, where="mid", color="tab:green", label=f"{coarse_bits}-bit")
    ax_bits.fill_between(t_high, x_high, quantized, color="tab:green", alpha=0.15,
                         label="rounding error")
    noise = snr_db(high, quantize(high, coarse_bits))
    ax_bits.set_title(f"(c) {coarse_bits}-bit: {levels} levels, {step:g} apart "
                      f"(SNR {noise:.0f} dB over the clip)")

    # Gridlines at the quantization levels that fall inside the view.
    y_low = min(x_high.min(), quantized.min())
    y_high = max(x_high.max(), quantized.max())
    margin = 0.1 * (y_high - y_low) + 1e-3
    for ax in (ax_high, ax_low, ax_bits):
        ax.set_ylim(y_low - margin, y_high + 4 * margin)  # headroom above the data for the legend
        ax.set_xlim(start * 1000, (start + duration) * 1000)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("amplitude")
    for ax in (ax_low, ax_bits):
        ax.legend(loc="upper right", ncol=3, fontsize="small")
    visible = np.arange(np.ceil((y_low - margin) / step), np.floor((y_high + 4 * margin) / step) + 1) * step
    if len(visible) <= 40:  # past that the lines are a grey wash, not levels
        for level in visible:
            ax_bits.axhline(level, color="tab:green", linewidth=0.4, alpha=0.4)

    # Spectra of the whole clip; welch averages many short FFTs so the curve is smooth.
    segment = 512 * high_rate // SAMPLE_RATE
    f_high, p_high = welch(high, fs=high_rate, nperseg=min(segment, len(high)))
    f_low, p_low = welch(low, fs=low_rate, nperseg=min(segment * low_rate // high_rate, len(low)))
    floor = 1e-12  # keep log10 finite on digital silence
    ax_spec.plot(f_high / 1000, 10 * np.log10(p_high + floor), color="tab:blue",
                 label=f"{high_rate / 1000:g} kHz")
    ax_spec.plot(f_low / 1000, 10 * np.log10(p_low + floor), color="tab:red",
                 label=f"{low_rate / 1000:g} kHz")
    ax_spec.axvspan(low_rate / 2000, high_rate / 2000, color="tab:red", alpha=0.1,
                    label=f"lost: above {low_rate / 2000:g} kHz")
    ax_spec.axvline(low_rate / 2000, color="tab:red", linestyle="--", linewidth=1)
    ax_spec.set_xlim(0, high_rate / 2000)
    ax_spec.set_xlabel("frequency (kHz)")
    ax_spec.set_ylabel("power (dB)")
    ax_spec.set_title(f"(d) whole clip: {low_rate / 1000:g} kHz keeps only 0-{low_rate / 2000:g} kHz")
    top = max(p_high.max(), p_low.max())
    ax_spec.set_ylim(top=10 * np.log10(top + floor) + 15)  # headroom for the legend
    ax_spec.legend(loc="upper right", ncol=3, fontsize="small")

    fig.suptitle(f"sampling and quantization: {duration * 1000:g} ms from {start:g} s")
    return fig


def plot_spectrogram(
    mel: torch.Tensor | np.ndarray,
    *,
    n_frames: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    show_seconds: float | None = None,
    frames_per_second: float = FRAMES_PER_SECOND,
) -> Axes:
    """Draw a log-mel spectrogram, time in seconds across, mel bins up.

    With ``n_frames`` the frames after the audio are shaded as padding, so you can see
    how much of Whisper's fixed 30 s window a short clip leaves empty.

    Used in Lesson 2, step 1 (feature extraction), and by ``plot_trace``.

    Args:
        mel: ``(n_mels, frames)``.
        n_frames: how many frames hold audio; the rest is drawn as padding.
        ax: axes to draw into; a new figure when None.
        title: the title; by default the shape.
        show_seconds: show only the first this many seconds (default: all of it).
        frames_per_second: the frame rate; Whisper's hop of 160 samples gives 100.

    Returns:
        The axes drawn into.
    """
    mel = _numpy(mel)
    if mel.ndim != 2:
        raise ValueError(f"expected a spectrogram of shape (n_mels, frames), got {mel.shape}")
    n_mels, width = mel.shape
    seconds = width / frames_per_second
    ax = _axes(ax, figsize=(10, 3.5))
    image = ax.imshow(mel, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
                      extent=(0, seconds, 0, n_mels))
    ax.figure.colorbar(image, ax=ax, label="log-mel (scaled)", pad=0.01)
    end = seconds if show_seconds is None else min(show_seconds, seconds)
    ax.set_xlim(0, end)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mel bin (low to high pitch)")
    ax.set_title(title or f"log-mel spectrogram {(n_mels, width)}, {frames_per_second:g} frames/s")

    if n_frames is not None and n_frames < width:
        audio_end = n_frames / frames_per_second
        ax.axvspan(audio_end, seconds, facecolor="white", alpha=0.25, hatch="//",
                   edgecolor="0.6", linewidth=0)
        ax.axvline(audio_end, color="white", linewidth=1.5, linestyle="--")
        near_right_edge = audio_end > 0.7 * end  # then the label goes left of the line, or it would be cut off
        ax.text(audio_end, n_mels * 0.97, "end of audio " if near_right_edge else " end of audio", color="white",
                ha="right" if near_right_edge else "left", va="top", fontsize="small", clip_on=True)
        if end - audio_end > 0.15 * end:  # only label padding that has room for the words
            ax.text((audio_end + end) / 2, n_mels / 2, f"padding to {seconds:g} s",
                    ha="center", va="center",
                    bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
    return ax


def plot_encoder_frames(
    frames: torch.Tensor | np.ndarray,
    *,
    ax: Axes | None = None,
    max_dims: int = 128,
    standardize: bool = True,
    title: str | None = None,
) -> Axes:
    """Draw the encoder's output as a heatmap: one column per 20 ms frame.

    With ``standardize`` (the default) each dimension is drawn on its own scale: its mean
    over the clip is subtracted and it is divided by its spread, so colour shows *when* a
    dimension rises or falls. Without it, a few dimensions that Whisper keeps large for
    every frame would be the only thing visible. Either way the colour scale is symmetric
    around zero and clipped at the 99th percentile of ``|value|``.

    Used in Lesson 2, step 4 (the Whisper encoder), and by ``plot_trace``.

    Args:
        frames: ``(n_frames, encoder_dim)``, at ``ENCODER_FRAMES_PER_SECOND`` (50).
        ax: axes to draw into; a new figure when None.
        max_dims: how many of the first dimensions to show.
        standardize: draw each dimension relative to its own mean and spread over the clip.
        title: the title; by default the shape.

    Returns:
        The axes drawn into.
    """
    frames = _numpy(frames)
    if frames.ndim != 2:
        raise ValueError(f"expected encoder frames of shape (n_frames, encoder_dim), got {frames.shape}")
    n_frames, dim = frames.shape
    shown = frames[:, :max_dims].T  # (dims, n_frames): time across, like the spectrogram
    if standardize:
        shown = (shown - shown.mean(axis=1, keepdims=True)) / (shown.std(axis=1, keepdims=True) + 1e-6)
    limit = float(np.percentile(np.abs(shown), 99)) or 1.0
    ax = _axes(ax, figsize=(10, 3.5))
    image = ax.imshow(shown, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                      interpolation="nearest",
                      extent=(0, n_frames / ENCODER_FRAMES_PER_SECOND, 0, shown.shape[0]))
    label = "activation (standard deviations\nfrom the dimension's mean)" if standardize else "activation"
    ax.figure.colorbar(image, ax=ax, label=label, pad=0.01, extend="both")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"dimension (first {shown.shape[0]} of {dim})" if shown.shape[0] < dim
                  else "dimension")
    ax.set_title(title or f"encoder frames {(n_frames, dim)}, {ENCODER_FRAMES_PER_SECOND} frames/s")
    return ax


def plot_frame_stacking(
    frames: torch.Tensor | np.ndarray,
    k: int,
    *,
    n_groups: int = 4,
    max_dims: int = 24,
) -> Figure:
    """Show the projector's first step: every ``k`` encoder frames become one taller column.

    Left, the first ``n_groups * k`` frames, boxed ``k`` at a time; right, the stacked
    result, one column per group, its ``k`` frames end to end, so each column is ``k``
    times as long as a frame. Only the first ``max_dims`` dimensions of each frame are
    drawn.

    Used in Lesson 2, step 3 (the projector: temporal downsampling).

    Args:
        frames: encoder output, ``(T, D)``.
        k: frames per group (the downsample rate).
        n_groups: how many groups to draw (fewer if ``T`` is short).
        max_dims: how many of each frame's first dimensions to draw.

    Returns:
        The figure, two panels.
    """
    frames = _numpy(frames)
    if frames.ndim != 2:
        raise ValueError(f"expected encoder frames of shape (T, D), got {frames.shape}")
    n_frames, dim = frames.shape
    if k < 1 or n_frames < k:
        raise ValueError(f"k must be between 1 and the number of frames ({n_frames}), got {k}")
    n_groups = min(n_groups, n_frames // k)
    dims = min(max_dims, dim)
    n_shown = n_groups * k
    frame_ms = 1000 // ENCODER_FRAMES_PER_SECOND  # 20 ms of audio per encoder frame
    shown = frames[:n_shown, :dims].T  # (dims, n_groups * k)
    stacked = shown.T.reshape(n_groups, k * dims).T  # (k * dims, n_groups): frame after frame
    limit = float(np.percentile(np.abs(shown), 99)) or 1.0
    style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit, "interpolation": "nearest",
             "aspect": "auto"}

    # Left column: the frames on top, an explanation and the colour scale below. The
    # frames' row is 1/k of the height, so a frame's 24 rows match one block of a stacked
    # column on the right, which spans the full height.
    fig = plt.figure(figsize=(12, 6), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[n_shown, 2 * n_groups],
                            height_ratios=[1, max(k - 1, 1)])
    ax_frames = fig.add_subplot(grid[0, 0])
    ax_note = fig.add_subplot(grid[1, 0])
    ax_stacked = fig.add_subplot(grid[:, 1])
    ax_frames.imshow(shown, extent=(0, n_shown, dims, 0), **style)
    image = ax_stacked.imshow(stacked, extent=(0, n_groups, k * dims, 0), **style)

    ax_note.set_xlim(0, n_shown)
    ax_note.set_ylim(0, 1)
    ax_note.set_axis_off()
    for g in range(n_groups):
        colour = _GROUP_COLOURS[g % len(_GROUP_COLOURS)]
        ax_frames.add_patch(Rectangle((g * k, 0), k, dims, fill=False, edgecolor=colour,
                                      linewidth=3, clip_on=False))
        ax_stacked.add_patch(Rectangle((g, 0), 1, k * dims, fill=False, edgecolor=colour,
                                       linewidth=3, clip_on=False))
        ax_note.text(g * k + k / 2, 0.97, f"group {g}\n→ token {g}", ha="center", va="top",
                     color=colour, fontweight="bold")
    for i in range(1, k):  # where one frame ends and the next begins inside a column
        ax_stacked.axhline(i * dims, color="black", linewidth=1, alpha=0.6)
    ax_note.text(
        n_shown / 2, 0.55,
        f"Each group of k = {k} frames ({k} × {frame_ms} ms = {k * frame_ms} ms "
        f"of audio) is laid end to end\ninto one vector of k·D = {k} × {dim} = {k * dim} numbers: "
        f"one audio token, {ENCODER_FRAMES_PER_SECOND / k:g} per second.",
        ha="center", va="center", linespacing=1.5,
    )
    colour_scale = ax_note.inset_axes((0.2, 0.08, 0.6, 0.06))
    fig.colorbar(image, cax=colour_scale, orientation="horizontal", extend="both",
                 label="activation")

    ax_frames.set_xticks(np.arange(n_shown) + 0.5, [str(t) for t in range(n_shown)])
    ax_frames.set_xlabel(f"encoder frame ({frame_ms} ms each)")
    ax_frames.set_ylabel(f"dim (first {dims}\nof {dim})")
    ax_frames.set_title(f"encoder frames: (T, D) = {(n_frames, dim)}\n"
                        f"the first {n_shown}, in groups of k = {k}")

    ax_stacked.set_xticks(np.arange(n_groups) + 0.5, [str(g) for g in range(n_groups)])
    ax_stacked.set_xlabel("audio token")
    # output_length rounds up: the projector zero-pads the last group rather than drop audio
    ax_stacked.set_title(f"stacked: (T/k, k·D) = {(output_length(n_frames, k), k * dim)}\n"
                         f"each column = {k} frames, end to end")
    ax_stacked.yaxis.tick_right()
    ax_stacked.yaxis.set_label_position("right")
    ax_stacked.set_yticks((np.arange(k) + 0.5) * dims, [f"frame {i + 1}" for i in range(k)])
    ax_stacked.tick_params(axis="y", length=0)
    ax_stacked.set_ylabel(f"first {dims} dims of each frame")
    return fig


def plot_token_probs(
    tokens: Sequence[str],
    probs: torch.Tensor | np.ndarray | Sequence[float],
    *,
    top_tokens: Sequence[Sequence[tuple[str, float]]] | None = None,
    ax: Axes | None = None,
    max_tokens: int = 40,
) -> Axes:
    """Draw one bar per generated token: how sure the decoder was of each choice.

    Token labels show their whitespace (``␣`` for a space, ``\\n`` for a newline),
    since a leading space is how most tokenizers mark the start of a word.

    Used in Lesson 2, step 4 (the LLM decoder), and by ``plot_trace``.

    Args:
        tokens: the generated tokens as strings, ``n`` of them.
        probs: the probability of each chosen token, ``(n,)``.
        top_tokens: per position, the most likely tokens with their probabilities,
            best first; the likeliest token other than the one written is marked faintly
            on each bar (above it where the decoding did not write the LLM's favourite).
        ax: axes to draw into; a new figure when None.
        max_tokens: draw at most this many tokens (the first ones).

    Returns:
        The axes drawn into.
    """
    probs = _numpy(probs)
    if probs.shape != (len(tokens),):
        raise ValueError(f"got {len(tokens)} tokens but probs of shape {probs.shape}; "
                         "pass one probability per token")
    n = min(len(tokens), max_tokens)
    ax = _axes(ax, figsize=(min(max(6.0, 0.3 * n + 2), 12.0), 3.5))
    x = np.arange(n)
    ax.bar(x, probs[:n], width=0.8, color="#9ecae1", edgecolor="tab:blue")

    if top_tokens is not None:
        runner_ups = [next(((t, p) for t, p in top if t != tokens[i]), None)
                      for i, top in enumerate(top_tokens[:n])]
        for i, pair in enumerate(runner_ups):
            if pair is None:
                continue
            token, p = pair
            ax.hlines(p, i - 0.4, i + 0.4, color="0.35", linewidth=1.5)
            ax.text(i, p + 0.02, _show_token(token), rotation=90, ha="center", va="bottom",
                    fontsize="medium", color="0.3", clip_on=True)

    ax.set_xticks(x, [_show_token(t) for t in tokens[:n]], rotation=60, ha="right",
                  rotation_mode="anchor", fontsize="small")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, 1)
    ax.set_xlabel("generated token")
    ax.set_ylabel("probability")
    shown = f"first {n} of {len(tokens)}" if n < len(tokens) else f"{n}"
    runner_up = "; grey: the likeliest other token" if top_tokens is not None else ""
    ax.set_title(f"decoder confidence: {shown} generated tokens{runner_up}")
    return ax


_SAID_COLOUR = "tab:green"


def plot_nearest_tokens(
    nearest: NearestTokens,
    *,
    said: str | None = None,
    baseline: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw each audio slot's closest LLM token, and how close it is.

    One bar per slot, in time order: its height is the cosine similarity between the
    slot's vector and the closest token embedding, and the token is written above it. With
    ``said``, the bars whose token is one of its words are green: slots that point at a
    word the speaker said.

    Used in Lesson 2, step 6 (the modality gap).

    Args:
        nearest: from ``tiny_audio.explore.nearest_tokens``.
        said: the reference transcript, to mark the slots that point at its words.
        baseline: a cosine to mark with a dashed line, such as the highest an untrained
            projector's slot reaches: bars above it point somewhere on purpose.
        ax: axes to draw into; a new figure when None.
        title: the title; by default says what the bars are.

    Returns:
        The axes drawn into.
    """
    closest = nearest.closest()
    heights = _numpy(nearest.cosines[:, 0])
    colours = [_SAID_COLOUR if hit else "0.7" for hit in nearest.points_at(said or "")]
    ax = _axes(ax, figsize=(min(max(6.0, 0.3 * len(closest) + 2), 12.0), 3.2))
    x = np.arange(len(closest))
    ax.bar(x, heights, width=0.8, color=colours)
    top = max(0.6, float(heights.max()) + 0.25)  # room for the labels above the tallest bar
    for i, (token, height) in enumerate(zip(closest, heights)):
        ax.text(i, height + 0.01, _show_token(token), rotation=90, ha="center", va="bottom", fontsize="small",
                clip_on=True)
    handles = [Patch(color=_SAID_COLOUR, label="a word that was said"), Patch(color="0.7", label="any other token")]
    if baseline is not None:
        handles.append(ax.axhline(baseline, color="0.3", linestyle="--", linewidth=1, label="untrained projector's best"))
    ax.set_xlim(-0.6, len(closest) - 0.4)
    ax.set_ylim(0, top)
    ax.set_xlabel("audio slot (in time order)")
    ax.set_ylabel("cosine to closest token")
    if said is None:
        handles = handles[2:]
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize="small", ncols=len(handles))
    ax.set_title(title or "what the LLM sees: each audio slot's closest token embedding")
    return ax


def plot_pipeline(
    shapes: dict[str, tuple[int, ...]],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    trained: Collection[str] = ("projector",),
    notes: Mapping[str, str] | None = None,
) -> Axes:
    """Draw the pipeline as boxes and arrows, each box a stage with its live shape.

    Stages run left to right; with more than four the row wraps back right to left
    (a snake), so seven stages still fit a wide, short figure. The stages in
    ``trained`` are coloured apart from the frozen (or weightless) rest.

    Used in Lesson 2, section 1 (the full pipeline), with ``Trace.shapes()``.

    Args:
        shapes: stage name -> output shape, in pipeline order.
        ax: axes to draw into; a new figure when None.
        title: the title; by default a summary.
        trained: the stages whose weights are trained.
        notes: stage name -> a line written small under its shape, such as the model that
            runs there (``{"encoder": "openai/whisper-base"}``).

    Returns:
        The axes drawn into.
    """
    if not shapes:
        raise ValueError("shapes is empty; pass a dict like Trace.shapes()")
    ax = _axes(ax, figsize=(12, 3.5))
    n = len(shapes)
    n_cols = n if n <= 4 else -(-n // 2)  # ceil(n / 2)
    n_rows = -(-n // n_cols)
    box_w, box_h = 0.62, 0.5  # in cells: the rest of each cell is room for the arrows

    def centre(i: int) -> tuple[float, float]:
        row, col = divmod(i, n_cols)
        if row % 2:  # odd rows run right to left
            col = n_cols - 1 - col
        return col + 0.5, n_rows - row - 0.5

    for i, (name, shape) in enumerate(shapes.items()):
        x, y = centre(i)
        colour = _TRAINED_COLOUR if name in trained else _FROZEN_COLOUR
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.02", facecolor=colour,
                                    edgecolor="0.3", linewidth=1.2))
        note = (notes or {}).get(name)
        lift = 0.05 if note else 0  # three lines instead of two: move the first two up
        ax.text(x, y + 0.08 + lift, name, ha="center", va="center", fontweight="bold", fontsize=12)
        ax.text(x, y - 0.1 + lift, str(tuple(shape)), ha="center", va="center", family="monospace",
                fontsize=10)
        if note:
            ax.text(x, y - 0.17, note, ha="center", va="center", fontsize=9, style="italic", color="0.25")
        if i + 1 < n:
            (x0, y0), (x1, y1) = (x, y), centre(i + 1)
            if y0 == y1:  # along the row: from the side of one box to the side of the next
                sign = 1 if x1 > x0 else -1
                start, end = (x0 + sign * box_w / 2, y0), (x1 - sign * box_w / 2, y1)
            else:  # down to the next row
                start, end = (x0, y0 - box_h / 2), (x1, y1 + box_h / 2)
            ax.annotate("", xy=end, xytext=start,
                        arrowprops={"arrowstyle": "-|>", "color": "0.3", "linewidth": 1.5,
                                    "shrinkA": 4, "shrinkB": 4, "mutation_scale": 16})

    ax.set_xlim(0, n_cols)
    height = max(n_rows, 2)  # a single row gets two rows of room, so its boxes stay flat
    ax.set_ylim((n_rows - height) / 2, (n_rows + height) / 2)
    ax.set_axis_off()
    ax.legend(handles=[Patch(facecolor=_FROZEN_COLOUR, edgecolor="0.3", label="frozen / no weights"),
                       Patch(facecolor=_TRAINED_COLOUR, edgecolor="0.3", label="trained")],
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False)
    ax.set_title(title or f"the pipeline: {n} stages, each box its output's shape")
    return ax


def plot_trace(trace: Trace) -> Figure:
    """Draw one pass through the pipeline: waveform, log-mel, encoder frames, decoder choices.

    The three time panels share a time axis, which runs a little past the audio so the
    start of the spectrogram's padding shows.

    Used in Lesson 2's hands-on part, after ``ASRModel.trace(audio)``.

    Args:
        trace: the record of one pass (see ``tiny_audio.trace.Trace``).

    Returns:
        The figure, four panels stacked.
    """
    fig, (ax_wave, ax_mel, ax_enc, ax_tok) = plt.subplots(
        4, 1, figsize=(12, 12), layout="constrained", gridspec_kw={"height_ratios": [1, 1.3, 1.3, 1.4]},
    )
    seconds = len(trace.audio) / trace.sample_rate
    shown = seconds * 1.25  # a quarter more than the audio: enough to see the padding begin

    plot_waveform(trace.audio, trace.sample_rate, ax=ax_wave)
    plot_spectrogram(trace.mel, n_frames=trace.n_mel_frames, ax=ax_mel, show_seconds=shown)
    plot_encoder_frames(trace.encoder_frames, ax=ax_enc)
    plot_token_probs(trace.generated_tokens, trace.token_probs, top_tokens=trace.top_tokens,
                     ax=ax_tok)
    for ax in (ax_wave, ax_mel, ax_enc):
        ax.set_xlim(0, shown)
    text = textwrap.shorten(repr(trace.text), width=200, placeholder=" ...")  # 30 s of speech is long
    fig.suptitle(textwrap.fill(f"trace of {seconds:.2f} s: {text}", width=110))
    return fig


_MASK_ROLES = (  # (name, colour) of each kind of position in a training example
    ("prompt text: no loss", "0.85"),
    ("audio slot: no loss", _TRAINED_COLOUR),
    ("transcript: loss counted", "tab:green"),
)


def plot_loss_mask(batch: Batch, tokenizer: PreTrainedTokenizerBase, index: int = 0, *, ax: Axes | None = None) -> Axes:
    """Draw one training example as a row of token cells, coloured by whether the loss
    counts them: grey prompt text, orange audio slots (filled by the projector), green
    transcript tokens (the only ones with a label other than -100). Padding is not drawn.

    Used in Lesson 3 (training the projector).

    Args:
        batch: from ``tiny_audio.training.make_batch``.
        tokenizer: the LLM's tokenizer, to spell the tokens.
        index: which example of the batch.
        ax: axes to draw into; a new figure when None.

    Returns:
        The axes drawn into.
    """
    if not -len(batch.input_ids) <= index < len(batch.input_ids):
        raise ValueError(f"index {index} is out of range for a batch of {len(batch.input_ids)}")
    n = int(batch.attention_mask[index].sum())
    ids = batch.input_ids[index, :n].tolist()
    audio = batch.audio_mask[index, :n].cpu().numpy()
    scored = (batch.labels[index, :n] != -100).cpu().numpy()
    role = np.where(scored, 2, np.where(audio, 1, 0))
    ax = _axes(ax, figsize=(min(max(8.0, 0.17 * n + 1), 18.0), 2.8))
    for i, r in enumerate(role):
        ax.add_patch(Rectangle((i, 0), 0.92, 1, facecolor=_MASK_ROLES[r][1], edgecolor="none"))
    tokens = ["<audio>" if a else _show_token(t) for a, t in zip(audio, tokenizer.convert_ids_to_tokens(ids))]
    ax.set_xticks(np.arange(n) + 0.46, tokens, rotation=90, fontsize=6.5)
    ax.set_yticks([])
    ax.set_xlim(0, n)
    ax.set_ylim(0, 1)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.legend(handles=[Patch(color=c, label=name) for name, c in _MASK_ROLES], ncols=3,
              loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize="small")
    ax.set_title(f"{int(scored.sum())} of {n} positions count in the loss", pad=22)
    return ax


_STAGE_TITLES = {  # training stage -> what its loss measures
    "ctc": "stage 1, CTC warm start: slots scored against the LLM's words",
    "llm": "stage 2, the LLM reads: next-token loss + CTC",
    "finetune": "fine-tuning a finished projector: next-token loss",  # a record's extra stage (the shipped one has it)
}


def plot_training_history(history: Sequence[dict], *, smooth: int = 25) -> list[Axes]:
    """One panel per training stage: the loss per step (faint) with its running mean, the
    held-out loss where it was measured (dots), and the learning rate on a second axis.

    Used in Lesson 3 (training the projector).

    Args:
        history: one dict per step as ``train`` returns and writes to ``history.json``:
            ``{"step", "loss", "lr"}``, with ``"stage"`` and, every ``eval_every`` steps,
            ``"eval_loss"`` (older histories without a stage are drawn as one panel). A
            thinned history (a shipped projector's record: one point per few steps, no
            ``"lr"``) is drawn the same way, without the learning rate.
        smooth: steps in the running mean (shorter stages use fewer).

    Returns:
        The loss axes, one per stage, in the order the stages ran.
    """
    if not history:
        raise ValueError("the history is empty; train at least one step first")
    stages = list(dict.fromkeys(h.get("stage", "llm") for h in history))
    fig, axes = plt.subplots(1, len(stages), figsize=(5.5 * len(stages) + 1.0, 4.0), layout="constrained",
                             squeeze=False)
    previous_last_step = 0  # steps count on across stages; a stage's own steps follow the previous stage's last
    for ax, stage in zip(axes[0], stages):
        rows = [h for h in history if h.get("stage", "llm") == stage]
        steps = np.array([h["step"] for h in rows])
        loss = np.array([h["loss"] for h in rows])
        window = max(1, min(smooth, len(loss) // 5))
        mean = np.convolve(loss, np.ones(window) / window, mode="valid")  # (n - window + 1,)
        ax.plot(steps, loss, color="tab:blue", alpha=0.3, linewidth=0.8, label="training loss per step")
        ax.plot(steps[window - 1 :], mean, color="tab:blue", linewidth=2, label=f"training, mean of {window}")
        held_out = [(h["step"], h["eval_loss"]) for h in rows if "eval_loss" in h]
        if held_out:
            ax.plot(*zip(*held_out), "o-", color="tab:green", markersize=4, label="held-out clips")
        ax.set_xlabel("step")
        ax.set_ylabel("loss (nats per token)")
        if all("lr" in h for h in rows):
            lr_ax = ax.twinx()
            lr_ax.plot(steps, [h["lr"] for h in rows], color="tab:orange", linewidth=1.2)
            lr_ax.set_ylabel("learning rate", color="tab:orange")
            lr_ax.tick_params(axis="y", colors="tab:orange")
            lr_ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize="small", frameon=False)
        title = _STAGE_TITLES.get(stage, stage) if len(stages) > 1 or "stage" in rows[0] else "training"
        if steps[0] <= previous_last_step:  # a history that numbers each stage's steps from 1
            previous_last_step = 0
        n_steps = int(steps[-1]) - previous_last_step  # exact for thinned records too
        previous_last_step = int(steps[-1])
        ax.set_title(f"{title}\nloss (mean of {window}) {mean[0]:.2f} -> {mean[-1]:.2f} over {n_steps:,} steps",
                     fontsize="medium")
    return list(axes[0])


ALIGNMENT_COLUMNS = 10  # words per line of plot_alignment: wider would not fit a notebook
_ALIGNMENT_COLOURS = {  # op -> (colour, legend label)
    "equal": ("0.88", "correct"),
    "substitute": ("tab:orange", "substitution"),
    "delete": ("tab:red", "deletion"),
    "insert": ("tab:blue", "insertion"),
}


def plot_alignment(reference: str, hypothesis: str, *, ax: Axes | None = None) -> Axes:
    """Draw the word alignment behind a WER: reference words on the top row, the
    hypothesis below, one column per edit step, coloured by what happened to the word;
    more than ``ALIGNMENT_COLUMNS`` steps wrap onto further pairs of rows.

    Used in Lesson 4 (evaluation).

    Args:
        reference: what was said.
        hypothesis: what the recognizer wrote (both are normalized first).
        ax: axes to draw into; a new figure when None.

    Returns:
        The axes drawn into.
    """
    from .evaluation import align  # imported here: evaluation pulls in jiwer and the normalizer

    steps = align(reference, hypothesis)
    n_columns = min(len(steps), ALIGNMENT_COLUMNS)
    n_lines = math.ceil(len(steps) / ALIGNMENT_COLUMNS)  # long transcripts wrap, like text
    ax = _axes(ax, figsize=(max(6.0, 1.05 * n_columns + 1.3), 0.7 + 1.7 * n_lines))
    ticks, tick_labels = [], []
    for i, step in enumerate(steps):
        column, line = i % ALIGNMENT_COLUMNS, i // ALIGNMENT_COLUMNS
        base = 2.3 * (n_lines - 1 - line)  # the first line on top
        colour = _ALIGNMENT_COLOURS[step.op][0]
        for row, word in ((1, step.ref), (0, step.hyp)):
            ax.add_patch(Rectangle((column, base + row), 0.94, 0.86, facecolor=colour if word else "white",
                                   edgecolor=colour, linewidth=1.5))
            ax.text(column + 0.47, base + row + 0.43, word or "—", ha="center", va="center",
                    fontsize=9 if len(word or "") <= 10 else 7, color="white" if word and step.op != "equal" else "black")
        if column == 0:
            ticks += [base + 0.43, base + 1.43]
            tick_labels += ["hypothesis", "reference"]
    ax.set_xlim(0, n_columns)
    ax.set_ylim(0, 2.3 * (n_lines - 1) + 1.9)
    ax.set_xticks([])
    ax.set_yticks(ticks, tick_labels)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    counts = {op: sum(step.op == op for step in steps) for op in _ALIGNMENT_COLOURS}
    n_ref = sum(step.ref is not None for step in steps)
    handles = [Patch(color=c, label=f"{label}: {counts[op]}") for op, (c, label) in _ALIGNMENT_COLOURS.items()]
    ax.legend(handles=handles, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize="small")
    errors = counts["substitute"] + counts["delete"] + counts["insert"]
    ax.set_title(f"WER = {errors} errors / {n_ref} reference words = {errors / n_ref:.0%}", pad=22)
    return ax


def plot_wer_by_clip(evaluations: dict[str, Evaluation], by: str = "seconds", *, ax: Axes | None = None) -> Axes:
    """Scatter every clip's WER against its length or speaking rate, one colour per system.

    Used in Lesson 4 (evaluation).

    Args:
        evaluations: system name -> its ``Evaluation`` (from ``tiny_audio.evaluation.evaluate``).
        by: ``"seconds"`` (clip length) or ``"words_per_second"`` (speaking rate).
        ax: axes to draw into; a new figure when None.

    Returns:
        The axes drawn into.
    """
    labels = {"seconds": "clip length (s)", "words_per_second": "speaking rate (words/s)"}
    if by not in labels:
        raise ValueError(f"by={by!r} is not a per-clip measure; pass one of {sorted(labels)}")
    ax = _axes(ax, figsize=(7.0, 3.6))
    markers = "oxs^v+D"  # a shape per system: where two systems score a clip alike, both stay visible
    for (name, evaluation), marker in zip(evaluations.items(), itertools.cycle(markers)):
        x = [getattr(clip, by) for clip in evaluation.clips]
        wers = [100 * clip.wer for clip in evaluation.clips]
        ax.scatter(x, wers, marker=marker, s=40, alpha=0.8, label=f"{name} ({evaluation.wer:.0%} overall)")
    ax.set_xlabel(labels[by])
    ax.set_ylabel("WER of the clip (%)")
    # below the axes: inside, the legend hides the clips that fail worst (top right)
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(evaluations), frameon=False)
    ax.set_title(f"per-clip WER against {labels[by].split(' (')[0]}")
    return ax


def plot_wer_vs_snr(snrs_db: Sequence[float], wers: dict[str, Sequence[float]], *, ax: Axes | None = None) -> Axes:
    """Draw each system's WER as background noise rises (the signal-to-noise ratio falls).

    Used in Lesson 4 (evaluation).

    Args:
        snrs_db: the noise levels measured, in dB of speech over noise; ``inf`` for the clean audio.
        wers: system name -> its corpus WER at each of ``snrs_db`` (fractions).
        ax: axes to draw into; a new figure when None.

    Returns:
        The axes drawn into.
    """
    bad = [name for name, values in wers.items() if len(values) != len(snrs_db)]
    if bad:
        raise ValueError(f"{', '.join(bad)}: need one WER per noise level ({len(snrs_db)})")
    positions = np.arange(len(snrs_db))  # evenly spaced, so "clean" (inf) fits on the axis
    ax = _axes(ax, figsize=(7.0, 3.6))
    for name, values in wers.items():
        ax.plot(positions, 100 * np.asarray(values), marker="o", label=name)
    ax.set_xticks(positions, ["clean" if np.isinf(snr) else f"{snr:g} dB" for snr in snrs_db])
    ax.set_xlabel("signal-to-noise ratio (louder noise to the right)")
    ax.set_ylabel("WER (%)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    ax.set_title("WER as background noise rises")
    return ax


def plot_stage_times(
    times: dict[str, dict[str, float]], audio_seconds: float, *, ax: Axes | None = None
) -> Axes:
    """Draw one horizontal bar per setting, split into the seconds each stage took.

    Used in Lesson 5 (publishing).

    Args:
        times: setting name -> stage name -> wall seconds (every setting names the same stages).
        audio_seconds: how much audio was transcribed: each bar is labelled with its
            real-time factor, audio seconds per wall second.
        ax: axes to draw into; a new figure when None.

    Returns:
        The axes drawn into.
    """
    stages = list(next(iter(times.values()), {}))
    if not stages or any(list(stage_times) != stages for stage_times in times.values()):
        raise ValueError(f"every setting must time the same stages, in the same order; got {times}")
    ax = _axes(ax, figsize=(7.5, 1.3 + 0.7 * len(times)))
    rows = np.arange(len(times))[::-1]  # the first setting on top
    left = np.zeros(len(times))
    for stage, colour in zip(stages, plt.get_cmap("tab10").colors):
        widths = np.array([stage_times[stage] for stage_times in times.values()])
        ax.barh(rows, widths, left=left, color=colour, label=stage, height=0.6)
        left += widths
    for row, total in zip(rows, left):
        label = f"  {total:.1f} s ({audio_seconds / total:.1f}x faster than real time)"
        ax.text(total, row, label, va="center", fontsize="small")
    ax.set_yticks(rows, list(times))
    ax.set_xlim(0, left.max() * 1.9)  # room for the labels
    ax.set_xlabel(f"wall seconds to transcribe {audio_seconds:.1f} s of audio")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=len(stages), frameon=False)
    ax.set_title("where the time goes")
    return ax
