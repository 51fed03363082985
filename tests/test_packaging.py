"""The package metadata reads cleanly with the setuptools uv.lock pins: no deprecation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Applies [project] of pyproject.toml exactly as a build does, with every warning an error.
_READ_METADATA = """
from setuptools.config import pyprojecttoml
from setuptools.dist import Distribution

distribution = Distribution()
pyprojecttoml.apply_configuration(distribution, "pyproject.toml")
print(distribution.metadata.license_expression)
"""


def test_pyproject_metadata_has_no_setuptools_deprecation() -> None:
    # SETUPTOOLS_ENFORCE_DEPRECATION turns setuptools' own deprecations (a license given
    # as a TOML table, for one) into errors instead of install-time noise.
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", _READ_METADATA],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "SETUPTOOLS_ENFORCE_DEPRECATION": "true"},
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "MIT"
