"""Fixtures for the chart tests: the chart is loaded once and each value set rendered once."""

from __future__ import annotations

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import chartkit  # noqa: E402


@pytest.fixture(scope="session")
def chart():
    return chartkit.load_chart()


@pytest.fixture(scope="session")
def renders(chart):
    """Every ci/ value set rendered once: {name: Rendered}."""
    return {name: chartkit.render(chart, values) for name, values in chartkit.CI_VALUES.items()}


@pytest.fixture(scope="session")
def default_render(renders):
    return renders["default"]
