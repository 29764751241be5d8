"""Dependency floors (issue 10, item 14): the declared requirements exclude releases with
known vulnerabilities, and what is installed meets every declared requirement. The venv
sees the system's site-packages (for LibreOffice's uno), so without a declared floor it
could settle for Debian's older Jinja2 (3.1.2 in bookworm: CVE-2024-22195, CVE-2024-34064,
CVE-2024-56201, CVE-2024-56326, CVE-2025-27516)."""

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

# name -> releases the floor must exclude (the last one before each advisory's fix).
VULNERABLE = {
    "flask": ["3.1.2"],       # the advisory fixed in 3.1.3 (the session's Vary: Cookie)
    "jinja2": ["3.1.5"],      # CVE-2025-27516: sandbox escape through the |attr filter
    "waitress": ["3.0.0"],    # CVE-2024-49768 (request race), CVE-2024-49769 (closed-socket DoS)
    "werkzeug": ["3.0.5", "3.1.3"],  # CVE-2024-49767 (multipart memory), CVE-2025-66221 (safe_join)
    "lxml": ["5.4.0"],        # the issue asks for the current series (6.x)
}


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    reqs += [Requirement(r) for group in project["optional-dependencies"].values() for r in group]
    return {r.name.lower(): r for r in reqs}


@pytest.mark.parametrize("name", sorted(VULNERABLE))
def test_the_floor_excludes_known_vulnerable_releases(name):
    requirement = _declared().get(name)
    assert requirement is not None, f"{name} must be declared, not left to whatever brings it in"
    for release in VULNERABLE[name]:
        assert not requirement.specifier.contains(Version(release), prereleases=True), \
            f"{requirement} still allows {release}"


def test_what_is_installed_meets_every_declared_requirement():
    wrong = []
    for name, requirement in _declared().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name}: not installed")
            continue
        if not requirement.specifier.contains(Version(installed), prereleases=True):
            wrong.append(f"{name} {installed} does not meet {requirement}")
    assert wrong == []
