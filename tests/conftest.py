"""Shared fixtures: toy models with known Integrated Gradients, and the bundled real model."""

from __future__ import annotations

import os
import socket

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import tensorflow as tf

from tests.toy_models import CountingLinearModel, SmallConvNet


def _online() -> bool:
    try:
        socket.create_connection(("tfhub.dev", 443), timeout=3).close()
    except OSError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``network`` when TF-Hub cannot be reached (this CI has no internet)."""
    network_items = [item for item in items if "network" in item.keywords]
    if network_items and not _online():
        skip = pytest.mark.skip(reason="needs the internet (tfhub.dev unreachable)")
        for item in network_items:
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
    from ig_tutorial.models.loading import BUNDLED_MODEL

    return load_model(BUNDLED_MODEL)
