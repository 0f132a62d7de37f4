"""The lessons reproduce: run again, they print and draw the same thing.

- Strict nbval (configured in pyproject.toml) re-executes every committed lesson and compares
  each stored output with the new one, after course/nbval_sanitize.cfg masks times and
  addresses: the commit's run and this run are the two executions. The first test keeps that
  configuration strict.
- nbval does not compare cells marked ``# NBVAL_IGNORE_OUTPUT``: they stay few, and each says why.
- nbval does not compare figures either (their PNG bytes change with matplotlib and font
  versions), so lesson 2 runs twice here in fresh kernels on this machine, and every output,
  figures included, must come out the same both times.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbval.plugin import coalesce_streams, find_comment_markers, find_metadata_tags, get_sanitize_patterns

ROOT = Path(__file__).parents[1]
COURSE = ROOT / "course"
LESSONS = sorted(COURSE.glob("[0-9][0-9]_*.ipynb"))
SANITIZE = COURSE / "nbval_sanitize.cfg"
IGNORE = "# NBVAL_IGNORE_OUTPUT"
# Lesson 2 has the most figures and widgets, runs the whole pipeline and compares every cell
# (~20 s a run on 2 cores).
TWICE = COURSE / "02_architecture.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"  # a random model id; nbval skips it too


def _markers(cell: nbformat.NotebookNode) -> dict[str, bool]:
    """nbval's options for a cell, from its comment markers and tags: {"check": False} = ignored."""
    return dict(find_comment_markers(cell.source)) | dict(find_metadata_tags(cell.metadata))


def test_pytest_runs_the_lessons_under_strict_nbval(request):
    addopts = request.config.getini("addopts")
    assert "--nbval" in addopts and "--nbval-lax" not in addopts
    assert addopts[addopts.index("--nbval-sanitize-with") + 1] == SANITIZE.relative_to(ROOT).as_posix()
    assert "course" in request.config.getini("testpaths")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_uncompared_cells_are_few_and_say_why(lesson):
    code = [cell for cell in nbformat.read(lesson, as_version=4).cells if cell.cell_type == "code"]
    ignored = []
    for i, cell in enumerate(code):
        markers = _markers(cell)
        assert "skip" not in markers and "check_exception" not in markers, (
            f"code cell {i} of {lesson.stem}: every cell of a lesson runs, and none raises"
        )
        if markers.get("check", True):
            continue
        ignored.append(i)
        lines = [line.strip() for line in cell.source.splitlines()]
        assert IGNORE in lines, f"code cell {i} of {lesson.stem}: mark it with {IGNORE!r} in its source, not a tag"
        reason = lines[lines.index(IGNORE) + 1] if lines.index(IGNORE) + 1 < len(lines) else ""
        assert reason.startswith("#") and len(reason.split()) >= 5, (
            f"code cell {i} of {lesson.stem}: the line after {IGNORE!r} should be a comment saying why "
            f"its output changes from run to run, got {reason!r}"
        )
    assert len(ignored) <= max(1, len(code) // 10), (
        f"{lesson.stem} leaves {len(ignored)} of {len(code)} code cells ({ignored}) uncompared; "
        "print what reproduces in its own cell, or add a rule to course/nbval_sanitize.cfg"
    )


def _compared(cell: nbformat.NotebookNode, patterns: list[tuple[str, str]]) -> dict[str, list]:
    """What nbval compares in a cell (streams merged, sanitized), plus the figures' PNG bytes."""
    compared = defaultdict(list)
    for output in coalesce_streams(copy.deepcopy(cell.outputs)):
        if output.output_type == "stream":
            fields = {output.name: output.text}
        elif output.output_type == "error":
            fields = {"error": f"{output.ename}: {output.evalue}"}
        else:
            fields = {mime: value for mime, value in output.data.items() if mime != WIDGET_VIEW}
        for key, value in fields.items():
            if isinstance(value, str):
                for regex, replace in patterns:
                    value = re.sub(regex, replace, value)
            compared[key].append(value)
    return dict(compared)


def _run(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """Execute a copy of the notebook in a fresh kernel, in course/ as nbval does; its code cells."""
    run = copy.deepcopy(notebook)
    NotebookClient(run, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(COURSE)}}).execute()
    return [cell for cell in run.cells if cell.cell_type == "code"]


@pytest.mark.slow
def test_lesson_2_runs_twice_with_the_same_outputs_and_figures():
    patterns = get_sanitize_patterns(SANITIZE.read_text())
    notebook = nbformat.read(TWICE, as_version=4)
    first, second = _run(notebook), _run(notebook)
    compared = [i for i, cell in enumerate(first) if _markers(cell).get("check", True)]
    figures = sum(len(_compared(first[i], patterns).get("image/png", [])) for i in compared)
    assert figures >= 5, f"expected lesson 2's figures among the compared outputs, found {figures}"
    for i in compared:
        one, two = _compared(first[i], patterns), _compared(second[i], patterns)
        changed = sorted(key for key in one.keys() | two.keys() if one.get(key) != two.get(key))
        assert not changed, f"code cell {i} of {TWICE.stem} printed or drew differently the second time: {changed}"
