"""actlocally: agent-based simulation of school attendance and attainment under local service changes."""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _version() -> str:
    """The installed release (pyproject's version) with the git commit it was run from as a local label
    (`0.1.0+g1a2b3c4`); the release alone outside a git checkout."""
    try:
        release = version("actlocally")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
        release = "0.0.0"
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{release}+g{sha}" if sha else release


__version__ = _version()
