"""The online path (TF-Hub model, the tutorial's label file and photos by URL), served locally.

The notebooks' defaults load Inception V1 by URL, the 1001 labels and two photos over the internet,
which no machine here reaches. A local HTTP server on 127.0.0.1 serves what those hosts serve: a
small SavedModel as a compressed tarball (TF-Hub's ``?tf-hub-format=compressed``), a label file
and a JPEG. They are loaded through exactly the code the defaults use, caches and failures included.
"""

from __future__ import annotations

import http.server
import io
import os
import pkgutil
import re
import socket
import tarfile
import threading
import time
from collections import Counter

import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import load_model, read_image
from ig_tutorial import sources as sources_module
from ig_tutorial.cache import check_reachable
from ig_tutorial.models import saved_models
from ig_tutorial.sources import bundled_image_path

SIZE = 8


class TinyClassifier(tf.Module):
    """Images ``(n, 8, 8, 3)`` -> 1001 logits, like Inception V1 on TF-Hub (background first)."""

    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.kernel = tf.Variable(rng.normal(size=(SIZE * SIZE * 3, 1001)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32)])
    def __call__(self, images):
        return tf.reshape(images, (-1, SIZE * SIZE * 3)) @ self.kernel


def _tarball(folder) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in sorted(os.listdir(folder)):
            tar.add(os.path.join(folder, name), arcname=name)
    return buffer.getvalue()


class LocalHub:
    """What tfhub.dev and storage.googleapis.com serve, on 127.0.0.1, counting the requests."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: Counter[str] = Counter()
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                hub.requests[self.path] += 1
                body = hub.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("saved_model")
    tf.saved_model.save(TinyClassifier(), str(folder))
    model = _tarball(folder)
    labels = "\n".join(["background"] + [f"class {k}" for k in range(1000)]).encode()
    return {
        "/tiny/1?tf-hub-format=compressed": model,
        "/broken/1?tf-hub-format=compressed": model[: len(model) // 2],
        "/data/ImageNetLabels.txt": labels,
        "/images/chelsea.png": bundled_image_path("chelsea").read_bytes(),
        "/images/cut.png": bundled_image_path("chelsea").read_bytes()[:5000],
    }


@pytest.fixture
def local_hub(hub_files, tmp_path, monkeypatch):
    server = LocalHub(hub_files)
    # Fresh caches, and the tutorial's label file and photos at the local server.
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("IG_TUTORIAL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(
        sources_module, "TUTORIAL_LABELS_URL", f"{server.url}/data/ImageNetLabels.txt"
    )
    monkeypatch.setitem(
        sources_module.TUTORIAL_IMAGES, "Fireboat", f"{server.url}/images/chelsea.png"
    )
    yield server
    server.close()


def test_hub_handle_loads_with_the_tutorials_labels_and_caches_both(local_hub):
    handle = f"{local_hub.url}/tiny/1"
    model = load_model(handle, input_size=SIZE)
    assert model.num_classes == 1001
    assert model.labels[0] == "background" and model.labels[1] == "class 0"
    assert model(tf.zeros((2, SIZE, SIZE, 3))).shape == (2, 1001)
    # TF-Hub asks for the compressed SavedModel, once; the labels are fetched once.
    assert local_hub.requests == {
        "/tiny/1?tf-hub-format=compressed": 1,
        "/data/ImageNetLabels.txt": 1,
    }
    again = load_model(handle, input_size=SIZE)
    assert again.labels[5] == "class 4"
    assert sum(local_hub.requests.values()) == 2, "a second load must come from the caches"


def test_image_by_url_is_downloaded_once(local_hub):
    expected = read_image(bundled_image_path("chelsea")).numpy()
    np.testing.assert_array_equal(read_image(f"{local_hub.url}/images/chelsea.png"), expected)
    np.testing.assert_array_equal(read_image("Fireboat"), expected)  # the tutorial's name
    np.testing.assert_array_equal(read_image(f"{local_hub.url}/images/chelsea.png"), expected)
    assert local_hub.requests["/images/chelsea.png"] == 1  # one URL: fetched once, then cached


def test_server_down_fails_within_seconds_and_names_the_offline_model(local_hub):
    handle = f"{local_hub.url}/tiny/1"
    local_hub.close()
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match=r"cannot reach 127\.0\.0\.1.*efficientnet-lite0"):
        load_model(handle, input_size=SIZE)
    assert time.perf_counter() - start < 5


def test_missing_model_is_a_clear_error_and_leaves_no_cache(local_hub, tmp_path):
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="answered HTTP 404"):
        load_model(f"{local_hub.url}/nothing/1", input_size=SIZE)
    assert time.perf_counter() - start < 5
    assert not any((tmp_path / "hub").glob("*/saved_model.pb"))


def test_truncated_tarball_is_a_clear_error_and_leaves_no_cache(local_hub, tmp_path):
    handle = f"{local_hub.url}/broken/1"
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_model(handle, input_size=SIZE)
    assert not saved_models.hub_cache_has(handle)
    assert [p.name for p in (tmp_path / "hub").iterdir()] == []
    # The cache is usable afterwards: a good handle loads.
    assert load_model(f"{local_hub.url}/tiny/1", input_size=SIZE).num_classes == 1001


def test_missing_label_file_and_image_are_connection_errors(local_hub, monkeypatch):
    monkeypatch.setattr(sources_module, "TUTORIAL_LABELS_URL", f"{local_hub.url}/nothing.txt")
    with pytest.raises(ConnectionError, match="nothing.txt"):
        load_model(f"{local_hub.url}/tiny/1", input_size=SIZE)
    # Not pytest.raises(...) as info: info would hold the traceback, and the download's socket,
    # in a cycle collected during a later test, which would then fail on its ResourceWarning.
    try:
        read_image(f"{local_hub.url}/images/missing.jpg")
    except ConnectionError as error:
        hint = str(error)
    else:
        pytest.fail("a missing image must be a ConnectionError")
    assert "use a bundled photo" in hint
    named = re.findall(r"\big_tutorial(?:\.\w+)+", hint)
    assert named, "the hint names where the bundled photos are listed"
    for name in named:
        pkgutil.resolve_name(name)  # raises if the hint names nothing


def test_a_cut_off_image_is_not_kept_in_the_cache(local_hub, tmp_path):
    url = f"{local_hub.url}/images/cut.png"
    for attempt in (1, 2):
        with pytest.raises(ValueError, match="truncated or corrupt"):
            read_image(url)
        assert local_hub.requests["/images/cut.png"] == attempt  # fetched again each time
    assert list((tmp_path / "cache" / "downloads").iterdir()) == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_reachability_goes_through_the_proxy(local_hub, monkeypatch):
    port = local_hub.server.server_address[1]
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    # The host does not resolve, but a proxy is set and reachable: the check asks the proxy.
    check_reachable("https://tfhub.invalid/google/model/1")
    dead = _closed_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{dead}")
    with pytest.raises(OSError, match=rf"through the proxy 127\.0\.0\.1:{dead}"):
        check_reachable("https://tfhub.invalid/google/model/1")
    # NO_PROXY exempts a host: then its own address is asked.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    check_reachable(f"{local_hub.url}/tiny/1".replace("http://", "https://"))


def test_reachability_asks_the_handles_own_port(local_hub):
    check_reachable(f"{local_hub.url}/tiny/1")
    with pytest.raises(OSError, match="cannot reach 127.0.0.1"):
        check_reachable(f"http://127.0.0.1:{_closed_port()}/tiny/1")
