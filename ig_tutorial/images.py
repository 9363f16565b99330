"""Reading photos into the tensors a classifier expects.

Taught in ``notebooks/01_setup_and_classification.py``: as in the TensorFlow tutorial, an image is
decoded, converted to ``float32`` in ``[0, 1]`` and letter-boxed to the model's square input.
Photos are named as in :mod:`ig_tutorial.sources`.
"""

from __future__ import annotations

import os
from pathlib import Path

import tensorflow as tf

from ig_tutorial.cache import cache_dir, download, is_url
from ig_tutorial.sources import BUNDLED_IMAGES, TUTORIAL_IMAGES, bundled_image_path


def resolve_image_source(source: str | os.PathLike[str]) -> Path:
    """The local file of a bundled or tutorial photo's name, a URL (downloaded once) or a path.

    Raises
    ------
    FileNotFoundError
        If ``source`` is a path that does not exist.
    """
    text = os.fspath(source)
    if text in BUNDLED_IMAGES:
        return bundled_image_path(text)
    if text in TUTORIAL_IMAGES:
        return download(TUTORIAL_IMAGES[text])
    if is_url(text):
        return download(text)
    path = Path(text).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"Image file {str(path)!r} does not exist. Give a path, a URL, or a bundled name "
            f"({', '.join(BUNDLED_IMAGES)})."
        )
    return path


def decode_image_file(path: str | os.PathLike[str]) -> tf.Tensor:
    """Decode an image file to RGB ``float32`` ``(height, width, 3)`` in ``[0, 1]``.

    JPEG, PNG, GIF (first frame), BMP or WebP; grayscale is repeated into three channels, alpha
    dropped, 8- or 16-bit samples scaled.

    Raises
    ------
    ValueError
        If the file is empty, not an image, or truncated or corrupt; the message names it.
    """
    path = Path(path)
    data = tf.io.read_file(str(path))
    if int(tf.strings.length(data)) == 0:
        raise ValueError(f"Image file {str(path)!r} is empty.")
    try:
        image = tf.io.decode_image(data, channels=3, dtype=tf.float32, expand_animations=False)
    except tf.errors.InvalidArgumentError as error:
        reason = error.message.split("[Op:")[0].split("}}")[-1].strip()
        raise ValueError(
            f"Could not decode {str(path)!r} as an image: {reason} The file is not an image, "
            "or it is truncated or corrupt; re-download or re-export it."
        ) from None
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"Image file {str(path)!r} has no pixels (shape {image.shape}).")
    return image


def read_image(source: str | os.PathLike[str], size: int | tuple[int, int] = 224) -> tf.Tensor:
    """Read a photo as the model input: RGB ``float32`` in ``[0, 1]``, letter-boxed to ``size``.

    The tutorial's ``read_image``, extended to bundled photo names, cached URLs and clear errors.

    Parameters
    ----------
    source : str or os.PathLike
        A file path, an ``http(s)`` URL, or a name from
        :data:`~ig_tutorial.sources.BUNDLED_IMAGES` or
        :data:`~ig_tutorial.sources.TUTORIAL_IMAGES`.
    size : int or tuple of int, default 224
        Output height and width (an ``int``: a square). The aspect ratio is kept and the rest
        padded with black.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If the file is not a readable image (a downloaded one is then removed from the cache),
        or ``size`` is not positive.
    ConnectionError
        If a URL is neither cached nor reachable.

    Examples
    --------
    >>> read_image("grace_hopper").shape
    TensorShape([224, 224, 3])
    """
    height, width = (size, size) if isinstance(size, int) else size
    if height < 1 or width < 1:
        raise ValueError(f"size must be positive, got {size!r}.")
    path = resolve_image_source(source)
    try:
        image = decode_image_file(path)
    except ValueError:
        if path.is_relative_to(cache_dir()):  # an error page or a cut-off download: fetch again
            path.unlink(missing_ok=True)
        raise
    return letterbox(image, height, width)


def letterbox(image: tf.Tensor, height: int, width: int) -> tf.Tensor:
    """Resize ``(h, w, channels)`` keeping the aspect ratio, then pad with black, centred.

    :func:`tf.image.resize_with_pad`, except that a very thin image (1 x 999) keeps at least one
    row or column instead of failing.
    """
    in_height, in_width = int(image.shape[0]), int(image.shape[1])
    scale = min(height / in_height, width / in_width)
    new_height = min(height, max(1, round(in_height * scale)))
    new_width = min(width, max(1, round(in_width * scale)))
    resized = tf.image.resize(image, (new_height, new_width), method="bilinear")
    top, left = (height - new_height) // 2, (width - new_width) // 2
    return tf.image.pad_to_bounding_box(resized, top, left, height, width)
