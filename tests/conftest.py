"""Shared fixtures: toy models with known Integrated Gradients, and the bundled real model."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial.cache import check_reachable
from tests.toy_models import CountingLinearModel, SmallConvNet

#: Marker -> the address whose reachability decides whether its tests run.
NEEDS = {
    "network": "https://tfhub.dev/",  # the wider internet: this CI has none
    "package_index": "https://pypi.org/simple/",  # reachable here and in CI
}


def _reachable(url: str) -> bool:
    try:
        check_reachable(url, timeout=3)
    except OSError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``network`` or ``package_index`` when what they need is unreachable."""
    for marker, url in NEEDS.items():
        marked = [item for item in items if marker in item.keywords]
        if marked and not _reachable(url):
            skip = pytest.mark.skip(reason=f"needs {url} (unreachable)")
            for item in marked:
                item.add_marker(skip)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def linear_model() -> CountingLinearModel:
    return CountingLinearModel(height=4, width=5, num_classes=3, seed=1)


@pytest.fixture(scope="session")
def conv_net() -> SmallConvNet:
    return SmallConvNet(num_classes=4, seed=2)


@pytest.fixture
def small_image(rng: np.random.Generator) -> tf.Tensor:
    return tf.constant(rng.uniform(size=(8, 8, 3)), tf.float32)


@pytest.fixture(scope="session")
def bundled_model():
    from ig_tutorial import load_model
    from ig_tutorial.sources import BUNDLED_MODEL

    return load_model(BUNDLED_MODEL)


@pytest.fixture(scope="session")
def execute_offline(tmp_path_factory):
    """Execute a notebook on the test profile, once per session (tests/notebook_runs.py)."""
    from tests.notebook_runs import offline_executions

    return offline_executions(tmp_path_factory)
