"""requirements.lock, the exact versions CI installs, agrees with pyproject.toml."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def locked_versions() -> dict[str, list[str]]:
    """Each package of the lock with its pinned versions (one per platform marker)."""
    pins: dict[str, list[str]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line or line[0] in "# -":
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        pins.setdefault(canonicalize_name(requirement.name), []).append(specifier.version)
    return pins


def test_every_dependency_and_dev_tool_is_locked_within_its_range():
    """A dependency added to pyproject.toml without writing the lock again
    (README, "Tests") would be missing from CI's install: this fails first."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked_versions()
    for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
        requirement = Requirement(line)
        versions = pins.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements.lock"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (line, version)
