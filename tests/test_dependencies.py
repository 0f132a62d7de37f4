"""A fresh install gets the versions the lessons were executed with: the pins in
.ci/constraints.txt agree with the ranges in pyproject.toml and environment.yml, and with
what is installed here."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).parents[1]
CONSTRAINTS = REPO / ".ci" / "constraints.txt"


def _pins() -> dict[str, Version]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[_normal(name)] = Version(pinned)
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    groups = [project["dependencies"], *project["optional-dependencies"].values()]
    return [Requirement(spec) for group in groups for spec in group]


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_every_declared_dependency_is_pinned_inside_its_range(requirement):
    pins = _pins()
    name = _normal(requirement.name)
    assert name in pins, f"{requirement.name} is declared in pyproject.toml but not pinned; run .ci/upgrade"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"{requirement.name}=={pins[name]} in .ci/constraints.txt is outside pyproject.toml's {requirement}"
    )


@pytest.mark.skipif((REPO / ".venv" / ".latest").exists(), reason="set up with .ci/setup --latest: newest releases on purpose")
def test_the_pinned_versions_are_the_installed_ones():
    """What this environment runs is what the lessons were executed with (.ci/setup made it)."""
    wrong = []
    for requirement in _declared():
        try:
            installed = Version(version(requirement.name).split("+")[0])
        except PackageNotFoundError:
            continue  # an extra this environment does not have
        if installed != _pins()[_normal(requirement.name)]:
            wrong.append(f"{requirement.name} {installed} (pinned {_pins()[_normal(requirement.name)]})")
    assert not wrong, "installed versions differ from .ci/constraints.txt: " + ", ".join(wrong) + \
        "; run `bash .ci/setup --dev` to go back to the pins, or `bash .ci/upgrade` to move them"


def test_conda_installs_the_same_pins():
    environment = (REPO / "environment.yml").read_text()
    assert "- -c .ci/constraints.txt" in environment
