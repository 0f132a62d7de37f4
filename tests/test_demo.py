"""The browser demo: served on localhost, a real clip in, transcript and stage shapes out, no internet."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tiny_audio import load_clip, n_encoder_frames, output_length
from tiny_audio.publish.demo import build_demo, describe, serve

pytestmark = pytest.mark.slow
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def network_log(monkeypatch):
    """Every host a name lookup or a connection was attempted for, from any thread."""
    hosts: list[str] = []
    real_lookup, real_connect = socket.getaddrinfo, socket.socket.connect

    def lookup(host, *args, **kwargs):
        hosts.append(host)
        return real_lookup(host, *args, **kwargs)

    def connect(self, address):
        hosts.append(address[0] if isinstance(address, tuple) else address)
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return hosts


def _expected_shapes(n_samples: int, model) -> dict[str, tuple[int, ...]]:
    """The shapes the pipeline's arithmetic predicts for a clip of ``n_samples``."""
    n_frames = n_encoder_frames(n_samples)
    n_tokens = output_length(n_frames, model.config.audio_downsample_rate)
    return {
        "audio": (n_samples,),
        "encoder": (n_frames, model.config.encoder_dim),
        "projector": (n_tokens, model.config.llm_dim),
    }


def test_describe_gives_the_transcript_and_every_stages_shape(embedded_model):
    clip = load_clip("0880")
    text, shapes = describe(embedded_model, clip.path)
    assert text == embedded_model.transcribe(clip.audio)
    assert list(shapes) == ["audio", "log-mel", "encoder", "stacked", "projector", "prompt", "generated"]
    assert _expected_shapes(len(clip.audio), embedded_model).items() <= shapes.items()


def test_describe_writes_a_long_clip_piece_by_piece_as_transcribe_does(embedded_model, monkeypatch):
    clip = load_clip("0870")  # 7.1 s
    monkeypatch.setattr(embedded_model.config, "max_segment_seconds", 3.5)
    text, shapes = describe(embedded_model, clip.audio)
    assert text == embedded_model.transcribe(clip.audio)
    assert shapes["audio"] == (len(clip.audio),)  # the shapes are of one pass over the whole clip


def test_the_demo_answers_a_bundled_clip_on_localhost_without_the_internet(embedded_model, network_log):
    clip = load_clip("0880")
    app = build_demo(embedded_model, note="a note for the page")
    url = serve(app, port=0)
    try:
        assert url.startswith("http://127.0.0.1:")
        client = Client(url, verbose=False)
        text, shapes = client.predict(handle_file(str(clip.path)), api_name="/transcribe")
        with pytest.raises(AppError, match="record or upload a clip first"):
            client.predict(None, api_name="/transcribe")
    finally:
        app.close()
    expected_text, expected_shapes = describe(embedded_model, clip.path)
    assert text == expected_text
    assert shapes["headers"] == ["stage", "shape"]
    assert shapes["data"] == [[stage, str(shape)] for stage, shape in expected_shapes.items()]
    assert set(network_log) <= LOOPBACK, f"the demo reached for {set(network_log) - LOOPBACK}"


def test_the_demo_command_serves_until_ctrl_c(embedded_model):
    command = [sys.executable, "-m", "tiny_audio.cli", "demo", "--model", "embedded", "--port", "0"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    # Ctrl-C as in a terminal: a job started in the background (nohup ... &) hands its
    # children an ignored SIGINT, which would make this test depend on how pytest was started.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = _first_line(process, timeout=240)
        assert line.startswith("demo of embedded on http://127.0.0.1:"), line + process.stderr.read()
        url = line.split(" on ")[1].split()[0]
        clip = load_clip("0880")
        text, shapes = Client(url, verbose=False).predict(handle_file(str(clip.path)), api_name="/transcribe")
        assert text == embedded_model.transcribe(clip.audio)
        expected = {stage: str(shape) for stage, shape in _expected_shapes(len(clip.audio), embedded_model).items()}
        assert expected.items() <= dict(shapes["data"]).items()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "is an early one" in process.stderr.read()  # the CLI's honest note about the shipped projector
    finally:
        process.kill()
        process.wait()


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    """The first line ``process`` prints, waiting at most ``timeout`` seconds."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines, f"no output within {timeout} s"
    return lines[0].strip()


def test_a_taken_port_is_one_line(embedded_model):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is taken; pass another port, or 0"):
            serve(build_demo(embedded_model), port)


def test_the_page_in_a_browser_transcribes_a_bundled_example(embedded_model, tmp_path):
    """Headless Chromium clicks the 0880 example and Transcribe, as a student would, and
    the page asks nothing of any server but ours."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium on PATH: apt-get install chromium (bash .ci/setup --dev does it as root)")
    clip = load_clip("0880")
    app = build_demo(embedded_model)
    url = serve(app, port=0)
    elsewhere: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium)
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else elsewhere.append(r.url))
            page.goto(url)
            sync_api.expect(page.get_by_text(  # the heading names the parts, not a path on this machine
                "openai/whisper-base encoder -> projector -> HuggingFaceTB/SmolLM2-135M-Instruct. "
                "Projector weights: the embedded preset's shipped projector.")).to_be_visible()
            page.get_by_text(clip.path.name).click()
            sync_api.expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()  # the clip is in the input
            page.get_by_role("button", name="Transcribe").click()
            sync_api.expect(page.get_by_label("transcript")).to_have_value(
                embedded_model.transcribe(clip.audio), timeout=120_000
            )
            sync_api.expect(page.get_by_role("row", name="encoder (150, 512)")).to_be_visible()
            png = page.screenshot(full_page=True)  # lesson 5 shows it: course/images/demo.png
            for folder in [tmp_path, *filter(None, [os.environ.get("TINY_AUDIO_SCREENSHOT_DIR")])]:
                Path(folder).mkdir(parents=True, exist_ok=True)
                Path(folder, "demo.png").write_bytes(png)
            browser.close()
    finally:
        app.close(verbose=False)
    assert elsewhere == [], f"the page requested {elsewhere}"
