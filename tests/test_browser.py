"""Lesson 2 in a real browser: JupyterLab in headless Chromium runs every cell and shows the widgets.

The test starts ``jupyter lab`` on 127.0.0.1 (a free port, a random token, no browser) over a
copy of ``course/02_architecture.ipynb`` with its outputs and saved widget state stripped, so
everything checked comes from this run. Chromium is Debian's package (``apt-get install
chromium``, done by ``bash .ci/setup --dev`` as root) driven by playwright; playwright never
downloads a browser here. Screenshots of the three widgets are saved in the test's tmp folder
and, when ``TINY_AUDIO_SCREENSHOT_DIR`` is set, there too.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]' (bash .ci/setup --dev)"
)
pytest.importorskip("jupyterlab", reason="JupyterLab is not installed: pip install -e '.[course]'")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: apt-get install chromium (bash .ci/setup --dev does it as root)"
)

LESSON = Path(__file__).parents[1] / "course" / "02_architecture.ipynb"
WIDGETS = ("clip_picker", "mel_explorer", "downsample_slider")  # the lesson's three widget cells
STARTUP_S = 60  # JupyterLab's server and page: ~5 s each on 2 cores
RUN_ALL_S = 240  # Run All takes ~10 s here on 2 idle cores; a loaded CI machine is slower
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'  # tracebacks too
# JupyterLab user settings for this run only: every cell stays in the page (no windowing, so
# every cell can be inspected), and no news or update toasts cover the notebook.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
# JavaScript run in the page. window.jupyterapp needs --LabApp.expose_app_in_browser.
# The notebook's kernel has started and waits for code.
KERNEL_READY = """() => {
    const context = window.jupyterapp?.shell.currentWidget?.sessionContext;
    return Boolean(context?.isReady && context.session?.kernel?.status === 'idle');
}"""
# The execution count of every code cell, read from the notebook's model (solution cells hide
# their input, and with it the prompt).
EXECUTION_COUNTS = """() => {
    const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
    return Array.from({length: cells.length}, (_, i) => cells.get(i))
        .filter(cell => cell.type === 'code').map(cell => cell.executionCount);
}"""
# Resolves once every code cell has run, or as soon as one shows an error or writes to stderr
# (a failing cell stops Run All, so the others would never run).
ALL_CELLS_RAN = f"""() => {{
    if (document.querySelector('{STDERR}')) return 'stderr';
    return ({EXECUTION_COUNTS})().every(count => count !== null) && 'done';
}}"""
MIN_INK = 0.01  # in every quarter of a widget's figure; whole ones have 2.5% or more
INK_BY_BAND = """img => img.decode().then(() => {
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const inked = [0, 0, 0, 0];
    for (let i = 0; i < pixels.length; i += 4) {
        const dark = pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200;
        if (pixels[i + 3] > 0 && dark) inked[Math.floor(4 * Math.floor(i / 4 / canvas.width) / canvas.height)]++;
    }
    return inked.map(n => n / (canvas.width * canvas.height / 4));
})"""


def _fresh_copy(folder: Path) -> tuple[Path, list[str]]:
    """Lesson 2 without outputs or widget state; returns the copy and its code cells' sources."""
    notebook = nbformat.read(LESSON, as_version=4)
    notebook.metadata.pop("widgets", None)
    notebook.metadata.pop("jupytext", None)  # no paired .py next to the copy
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code:
        cell.outputs, cell.execution_count = [], None
    path = folder / LESSON.name
    nbformat.write(notebook, path)
    return path, [cell.source for cell in code]


def _wait_for_server(server: subprocess.Popen, info: Path, token: str, log: Path) -> str:
    """The server's URL once it answers; it writes ``info`` (with its port) after binding."""
    deadline = time.monotonic() + STARTUP_S
    while True:
        assert server.poll() is None, f"jupyter lab exited with {server.returncode}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"jupyter lab did not start in {STARTUP_S} s:\n{log.read_text()[-3000:]}"
        try:
            url = json.loads(info.read_text())["url"].rstrip("/")
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as response:
                if response.status == 200:
                    return url
        except (FileNotFoundError, json.JSONDecodeError, KeyError, OSError):
            pass  # not written yet, or not answering yet
        time.sleep(0.2)


@pytest.fixture
def lab(tmp_path):
    """``jupyter lab`` on 127.0.0.1 serving a fresh folder; yields (that folder, base url, token, log)."""
    notebooks = tmp_path / "notebooks"
    runtime = tmp_path / "runtime"
    settings = tmp_path / "settings"
    for folder in (notebooks, runtime, settings):
        folder.mkdir()
    for name, values in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    log = tmp_path / "jupyter.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",  # 0: the server picks a free port
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    with log.open("w") as stream:
        server = subprocess.Popen(command, env=env, stdout=stream, stderr=subprocess.STDOUT)
    try:
        url = _wait_for_server(server, runtime / f"jpserver-{server.pid}.json", token, log)
        yield notebooks, url, token, log
    finally:
        server.terminate()  # on SIGTERM jupyter shuts its kernels down, then exits
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _ink_by_band(image) -> list[float]:
    """Share of non-white pixels in each horizontal quarter of an ``<img>``, once decoded.

    A figure drawn by two threads at once came out blank or cut off below some row; every
    quarter of a whole figure has ink (titles, axes, data).
    """
    return image.evaluate(INK_BY_BAND)


def _save_screenshots(cells, rows: dict[str, int], folder: Path) -> None:
    """One PNG per widget cell in ``folder``, copied to ``$TINY_AUDIO_SCREENSHOT_DIR`` when set."""
    folders = [folder]
    if os.environ.get("TINY_AUDIO_SCREENSHOT_DIR"):
        folders.append(Path(os.environ["TINY_AUDIO_SCREENSHOT_DIR"]))
    for name, row in rows.items():
        # The notebook scrolls inside its panel, which clips whatever lies below it: bring the
        # cell's top to the panel's top, then let a frame paint it.
        cells.nth(row).evaluate("cell => cell.scrollIntoView({block: 'start'})")
        cells.page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        png = cells.nth(row).screenshot()
        for target in folders:
            target.mkdir(parents=True, exist_ok=True)
            (target / f"lesson2_{name}.png").write_bytes(png)


def test_lesson_2_runs_all_cells_and_shows_its_widgets(lab, tmp_path):
    notebooks, url, token, log = lab
    path, sources = _fresh_copy(notebooks)
    rows = {name: next(i for i, source in enumerate(sources) if source.startswith(f"{name}(")) for name in WIDGETS}
    expect = sync_api.expect
    # playwright's assertions wait 5 s by default; a slow 2-core CPU can take longer to render 46 cells
    expect.set_options(timeout=STARTUP_S * 1000)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page_errors = []
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.set_default_timeout(STARTUP_S * 1000)
            page.goto(f"{url}/lab/tree/{path.name}?token={token}")
            cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
            expect(cells).to_have_count(len(sources))
            page.wait_for_function(KERNEL_READY, polling=200)

            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            try:
                outcome = page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_ALL_S * 1000, polling=500)
            except sync_api.TimeoutError:
                page.screenshot(path=tmp_path / "timeout.png")
                pytest.fail(
                    f"Run All did not finish in {RUN_ALL_S} s; execution counts {page.evaluate(EXECUTION_COUNTS)}; "
                    f"screenshot {tmp_path / 'timeout.png'}; server log:\n{log.read_text()[-3000:]}"
                )
            errors = "\n".join(page.locator(STDERR).all_inner_texts())
            assert outcome.json_value() == "done", f"a cell failed or wrote to stderr:\n{errors}"
            expect(page.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute("data-status", "idle")
            counts = page.evaluate(EXECUTION_COUNTS)
            assert counts == list(range(1, len(sources) + 1)), f"Run All should run each cell once, in order: {counts}"

            widgets = {name: cells.nth(row).locator(".jp-OutputArea-output .widget-vbox") for name, row in rows.items()}
            clip = widgets["clip_picker"]
            expect(clip.locator(".widget-dropdown select")).to_have_value("0880")
            expect(clip.locator(".widget-output audio")).to_have_count(1)
            mel = widgets["mel_explorer"]
            expect(mel.locator(".widget-slider .widget-readout")).to_have_text(["80", "160"])  # mel bins, hop
            downsample = widgets["downsample_slider"]
            expect(downsample.locator(".widget-slider .widget-readout")).to_have_text("5")
            expect(downsample.locator(".widget-output pre")).to_contain_text("k = 5: encoder (150, 512)")
            for name, widget in widgets.items():
                # the figure each widget's callback drew in the kernel, shown in its Output widget
                expect(widget.locator(".widget-output img"), name).to_have_count(1)
                assert min(_ink_by_band(widget.locator(".widget-output img"))) > MIN_INK, f"{name}: blank or cut off"
                output = cells.nth(rows[name]).locator(".jp-Cell-outputArea")
                expect(output, name).not_to_contain_text("Loading widget")
                expect(output, name).not_to_contain_text("Error displaying widget")

            # One step of the slider goes to the kernel and back: the projector is rebuilt at k = 6.
            downsample.locator(".noUi-handle").press("ArrowRight")
            expect(downsample.locator(".widget-slider .widget-readout")).to_have_text("6")
            expect(downsample.locator(".widget-output pre")).to_contain_text("k = 6: encoder (150, 512) -> stacked")
            expect(downsample.locator(".widget-output img")).to_have_count(1)  # the stacking, redrawn
            assert min(_ink_by_band(downsample.locator(".widget-output img"))) > MIN_INK, "redrawn: blank or cut off"
            assert not page_errors, f"JavaScript errors in the page: {page_errors}"
            _save_screenshots(cells, rows, tmp_path / "screenshots")
        finally:
            browser.close()
