"""The committed lessons: paired, executed without errors, every exercise with a solution.

Whether their outputs still reproduce is checked by nbval, which pytest runs on
course/*.ipynb (see pyproject.toml), and by tests/test_reproducible.py.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

COURSE = Path(__file__).parents[1] / "course"
LESSONS = sorted(COURSE.glob("[0-9][0-9]_*.py"))


def _cells(path: Path) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in jupytext.read(path).cells]


def test_lessons_are_paired_automatically():
    assert 'formats = "ipynb,py:percent"' in (COURSE / "jupytext.toml").read_text()
    assert len(LESSONS) >= 2
    assert sorted(p.stem for p in COURSE.glob("*.ipynb")) == [p.stem for p in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_py_and_ipynb_hold_the_same_cells(lesson):
    assert _cells(lesson) == _cells(lesson.with_suffix(".ipynb")), (
        f"{lesson.name} and its .ipynb differ; re-run: jupytext --update --to ipynb --execute {lesson}"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_notebook_is_committed_executed_without_errors(lesson):
    notebook = jupytext.read(lesson.with_suffix(".ipynb"))
    code = [c for c in notebook.cells if c.cell_type == "code"]
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    errors = [i for i, c in enumerate(code) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not unexecuted, f"code cells {unexecuted} of {lesson.stem} have no stored output"
    assert not errors, f"code cells {errors} of {lesson.stem} stored an error"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "execute the notebook top to bottom in one run"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_exercise_has_a_hidden_solution_that_runs(lesson):
    cells = jupytext.read(lesson.with_suffix(".ipynb")).cells
    exercises = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "### Exercise" in c.source]
    assert exercises, f"{lesson.stem} has no exercises"
    for i in exercises:
        student, solution = cells[i + 1], cells[i + 2]
        assert student.cell_type == "code" and student.source.strip() == "# Your code here"
        assert solution.source.startswith("# Solution")
        assert "solution" in solution.metadata.get("tags", [])
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True
        assert solution.outputs, f"the solution after cell {i} of {lesson.stem} printed nothing"
