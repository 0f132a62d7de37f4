"""The package reads like the pipeline: what the README's table names exists, the top level
holds the stages and what lessons touch first, and ``import tiny_audio`` stays light."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "tiny_audio"
STAGES = ["sampling", "log_mel", "encoder", "projector", "decoder"]


def _readme_table_modules() -> list[str]:
    section = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## The package, stage by stage")[1]
    section = section.split("\n## ")[0]
    names = []
    for cell in re.findall(r"^\| `(tiny_audio[^|]*)` \|", section, flags=re.M):
        first, *others = [part.strip(" `") for part in cell.split("/")]
        names.append(first)
        parent = first.rsplit(".", 1)[0]
        names += [f"{parent}.{other}" for other in others]
    return names


@pytest.mark.parametrize("module", _readme_table_modules())
def test_every_module_in_the_readme_table_exists(module):
    importlib.import_module(module)


def test_the_top_level_is_the_stages_and_what_lessons_touch_first():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert set(STAGES) <= modules
    assert modules - set(STAGES) == {"config", "model", "trace", "plotting", "widgets", "explore", "ctc", "training", "cli"}
    assert folders == {"data", "evaluation", "publish", "presets", "weights"}
    docstring = importlib.import_module("tiny_audio").__doc__
    for name in [*modules, *(f"{folder}/" for folder in folders)]:
        assert name in docstring, f"tiny_audio/__init__.py's docstring does not say where {name} is"


def test_import_tiny_audio_does_not_load_the_scoring_or_publishing_libraries():
    heavy = ("jiwer", "gradio", "matplotlib", "ipywidgets", "tiny_audio.publish.hub", "tiny_audio.evaluation",
             "tiny_audio.plotting", "tiny_audio.widgets", "tiny_audio.training")
    code = f"import sys, tiny_audio; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_every_name_in_all_resolves_and_the_heavy_ones_load_on_first_use():
    code = ("import sys, tiny_audio; from tiny_audio import plot_spectrogram, TrainConfig; "
            "missing = [n for n in tiny_audio.__all__ if not hasattr(tiny_audio, n)]; "
            "print(missing, 'tiny_audio.plotting' in sys.modules, 'tiny_audio.widgets' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split("\n")[-2] == "[] True True"  # hasattr loaded the widgets too
    tiny_audio = importlib.import_module("tiny_audio")
    with pytest.raises(AttributeError, match="no attribute 'plot_everything'"):
        tiny_audio.plot_everything  # noqa: B018
    assert "plot_spectrogram" in dir(tiny_audio)


@pytest.mark.parametrize("lesson", sorted(ROOT.glob("course/**/*.py")), ids=lambda p: p.name)
def test_lessons_import_only_from_the_public_surface(lesson):
    modules = set(re.findall(r"^\s*from (tiny_audio[\w.]*) import", lesson.read_text(encoding="utf-8"), flags=re.M))
    modules |= set(re.findall(r"^\s*import (tiny_audio[\w.]*)", lesson.read_text(encoding="utf-8"), flags=re.M))
    assert modules <= {"tiny_audio", "tiny_audio.publish"}, f"{lesson.name} imports from {sorted(modules)}"
