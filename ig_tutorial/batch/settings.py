"""A batch run's settings, and the key that says whether an output is still valid.

An output is valid for an input when it was computed from the same bytes, for the same target,
with the same settings: :meth:`AttributionSettings.key` hashes exactly these, and outputs are
named by it, so a rerun finds finished work by name (``docs/batch.md``, *Resuming*).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ig_tutorial.checks import one_of, positive_integer, positive_number, steps_or_auto
from ig_tutorial.ig.adaptive_steps import (
    DEFAULT_MAX_STEPS,
    DEFAULT_TOLERANCE,
    check_adaptive_settings,
)
from ig_tutorial.ig.baselines import BASELINES
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, TARGET_OUTPUTS
from ig_tutorial.ig.integration_rules import DEFAULT_METHOD, canonical_rule_name
from ig_tutorial.ig.targets import TOP_1_NAMES

#: Version of the output format; part of every key, so a new format never reuses old files.
FORMAT_VERSION = 1

#: How attributions may be stored: ``float16`` halves the files.
ATTRIBUTION_DTYPES: tuple[str, ...] = ("float32", "float16")


def model_identity(model: Any) -> str:
    """How outputs name the model: its handle, or a hash of a SavedModel folder's weights.

    The hash covers ``saved_model.pb`` and ``variables/variables.index`` (a checksum of every
    weight), so retraining into the same folder invalidates its outputs and moving it does not.
    ``model`` is a handle or a :class:`~ig_tutorial.Classifier` (its ``handle`` is used).
    """
    handle = model if isinstance(model, (str, os.PathLike)) else getattr(model, "handle", None)
    if not isinstance(handle, (str, os.PathLike)):
        raise ValueError(
            f"model must be a handle (a SavedModel folder, a TF-Hub handle, 'efficientnet-lite0') "
            f"or a Classifier from ig_tutorial.load_model, got {model!r}."
        )
    folder = Path(os.fspath(handle)).expanduser()
    if not (folder / "saved_model.pb").is_file():
        return os.fspath(handle)
    digest = hashlib.sha256()
    for part in ("saved_model.pb", "variables/variables.index"):
        if (folder / part).is_file():
            digest.update(part.encode() + b"\0" + (folder / part).read_bytes())
    return f"savedmodel:{digest.hexdigest()[:16]}"


def normalize_target(target: Any, name: str = "target") -> int | str:
    """A target as the key and the IG core take it: an ``int``, ``"top-1"`` or a label.

    Command-line text ``"967"`` becomes ``967`` and ``"top1"`` becomes ``"top-1"``, so that they
    name the same outputs. Raises ``ValueError`` for a negative index or an empty string.
    """
    if isinstance(target, str):
        text = target.strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            if not text:
                raise ValueError(f"{name} is empty; give a class index, a label or 'top-1'.")
            return "top-1" if text.lower() in TOP_1_NAMES else text
        target = int(text)
    return positive_integer(target, name, minimum=0)


@dataclass(frozen=True)
class AttributionSettings:
    """How every image of a batch run is attributed and stored; checked on construction.

    ``model`` is the :func:`model_identity`, ``dtype`` how attributions are stored; the others
    are as for :func:`~ig_tutorial.integrated_gradients` (``baseline`` by name).
    """

    model: str
    m_steps: int | str = 64
    method: str = DEFAULT_METHOD
    baseline: str = "black"
    output: str = DEFAULT_OUTPUT
    tolerance: float = DEFAULT_TOLERANCE
    max_steps: int = DEFAULT_MAX_STEPS
    batch_size: int | str | None = None
    dtype: str = "float32"

    def __post_init__(self) -> None:
        checked = {
            "m_steps": steps_or_auto(self.m_steps),
            "method": canonical_rule_name(self.method),
            "tolerance": positive_number(self.tolerance, "tolerance"),
            "max_steps": positive_integer(self.max_steps, "max_steps"),
        }
        if self.batch_size not in (None, "auto"):
            checked["batch_size"] = positive_integer(self.batch_size, "batch_size")
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        if self.m_steps == "auto":
            check_adaptive_settings(self.method, self.tolerance, self.max_steps)
        one_of(self.baseline, tuple(BASELINES), "baseline")
        one_of(self.output, TARGET_OUTPUTS, "output")
        one_of(self.dtype, ATTRIBUTION_DTYPES, "dtype")

    def as_dict(self) -> dict[str, Any]:
        """All settings, as stored in every output file."""
        return asdict(self)

    def key(self, sha256: str, target: int | str) -> str:
        """The SHA-256 (hex) naming the output of an input (content hash, target) here.

        Only what decides the attributions counts: not ``batch_size`` (results do not depend on
        it beyond float rounding), and ``tolerance`` and ``max_steps`` only for ``"auto"``.
        """
        content = self.as_dict() | {"format": FORMAT_VERSION, "input_sha256": sha256}
        del content["batch_size"]
        if self.m_steps != "auto":
            del content["tolerance"], content["max_steps"]
        text = json.dumps(content | {"target": target}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()
