"""A demo in the browser: record or upload speech, see the transcript and every stage's shape.

    tiny-audio demo [--model M] [--port P]      # then open http://127.0.0.1:P

``build_demo(model)`` makes the Gradio app around ``describe`` (the function tests and
lesson 5 call directly); ``serve(app)`` starts it on this machine only. The app never
contacts the internet: no telemetry, no share link, and Gradio's default theme uses
fonts it ships.
"""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np

from ..data.clips import load_clips
from ..model import ASRModel
from ..presets import shipped_preset

try:
    import gradio as gr
except ModuleNotFoundError as err:  # gradio is the optional [demo] extra
    raise ImportError(f"the demo needs gradio ({err}); pip install 'tiny-audio[demo]'") from None

HOST = "127.0.0.1"  # this machine only: the demo is for you, not for the network
DEFAULT_PORT = 7860  # Gradio's usual port
API_NAME = "transcribe"  # the endpoint a client calls: Client(url).predict(file, api_name="/transcribe")


def describe(model: ASRModel, audio: str | Path | np.ndarray) -> tuple[str, dict[str, tuple[int, ...]]]:
    """What the demo shows for one clip of at most 30 s: its transcript and each stage's
    output shape in pipeline order (``model.trace(audio).shapes()``).

    The transcript is ``model.transcribe``'s: the trace's own text when the clip is one
    piece, else the pieces' texts (``config.max_segment_seconds``).

    Args:
        model: a loaded ``ASRModel``.
        audio: a file path, or 16 kHz samples ``(n_samples,)``.
    """
    trace = model.trace(audio)
    text = trace.text if len(model.pieces(trace.audio)) == 1 else model.transcribe(trace.audio)
    return text, trace.shapes()


def build_demo(model: ASRModel, *, title: str = "tiny-audio", note: str | None = None) -> gr.Blocks:
    """The app: an audio input (microphone or file, bundled clips as examples), a button,
    the transcript and a table of stage shapes.

    Args:
        model: the recognizer to run.
        title: the page's heading.
        note: a line shown under the heading, e.g. how reliable the model is.
    """

    def run(path: str | None) -> tuple[str, list[list[str]]]:
        """The button's handler: a recorded or uploaded file -> transcript, ``[stage, shape]`` rows."""
        if path is None:
            raise gr.Error("record or upload a clip first")
        try:
            text, shapes = describe(model, path)
        except ValueError as err:  # e.g. longer than 30 s: show our one-line message in the page
            raise gr.Error(str(err)) from None
        return text, [[stage, str(shape)] for stage, shape in shapes.items()]

    preset = shipped_preset(model.projector_source)
    source = (f"the {preset} preset's shipped projector" if preset else
              f"`{model.projector_source}`" if model.projector_source else "none: an untrained (random) projector")
    pipeline = f"{model.config.audio_model_id} encoder -> projector -> {model.config.text_model_id}"
    with gr.Blocks(title=title, analytics_enabled=False) as app:
        gr.Markdown(f"# {title}\n\n{pipeline}. Projector weights: {source}."
                    + (f"\n\n**{note}**" if note else ""))
        audio = gr.Audio(sources=["microphone", "upload"], type="filepath", label="speech (at most 30 s)")
        gr.Examples([[str(clip.path)] for clip in load_clips()], inputs=audio, label="bundled LibriVox clips")
        button = gr.Button("Transcribe", variant="primary")
        text = gr.Textbox(label="transcript")
        shapes = gr.Dataframe(headers=["stage", "shape"], label="each stage's output shape")
        button.click(run, inputs=audio, outputs=[text, shapes], api_name=API_NAME)
    return app


def serve(app: gr.Blocks, port: int = DEFAULT_PORT) -> str:
    """Start ``app`` on ``127.0.0.1:port`` (0: any free port) in the background; returns its
    URL. Stop it with ``app.close()``, or wait on it with ``app.block_thread()`` (until Ctrl-C)."""
    port = port or _free_port()
    try:
        app.launch(server_name=HOST, server_port=port, share=False, prevent_thread_lock=True,
                   quiet=True, ssr_mode=False, inbrowser=False, inline=False)  # inline: no page inside a notebook
    except OSError:  # Gradio's message names its own settings, not ours
        raise OSError(f"port {port} on {HOST} is taken; pass another port, or 0 for any free one") from None
    return app.local_url


def _free_port() -> int:
    """A port no one listens on right now, as the operating system picks it."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
