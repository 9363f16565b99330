"""The settings of a batch run, and the key that says whether an output is still valid.

An output file is valid for an input when it was computed from the same bytes (the content
hash), for the same target, with the same settings: :meth:`AttributionSettings.key` hashes
exactly these. Outputs are named by the key, so a rerun finds finished work by name and skips
it, and a change of any setting (or of the model's weights) gives new files beside the old ones.
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

#: How attributions may be stored: ``float16`` halves the files (see ``docs/batch.md``).
ATTRIBUTION_DTYPES: tuple[str, ...] = ("float32", "float16")

# A batch run attributes as one call of the IG core does: DEFAULT_METHOD, DEFAULT_OUTPUT,
# DEFAULT_TOLERANCE and DEFAULT_MAX_STEPS above are the core's own.


def model_identity(model: Any) -> str:
    """How outputs name the model: its handle, or a fingerprint of a SavedModel folder.

    A SavedModel folder is named by the SHA-256 of its graph (``saved_model.pb``) and its
    variables' index (``variables/variables.index``, which holds a checksum of every weight),
    so retraining a model into the same folder invalidates its outputs, and moving the folder
    does not. Any other handle (a TF-Hub URL, ``"efficientnet-lite0"``) is its own name.

    Parameters
    ----------
    model : str, os.PathLike or Classifier
        A handle, or a loaded :class:`ig_tutorial.Classifier` (its ``handle`` is used).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``model`` is neither a handle nor has a ``handle`` attribute.
    """
    handle = model if isinstance(model, (str, os.PathLike)) else getattr(model, "handle", None)
    if not isinstance(handle, (str, os.PathLike)):
        raise ValueError(
            f"model must be a handle (a SavedModel folder, a TF-Hub handle, 'efficientnet-lite0') "
            f"or a Classifier from ig_tutorial.load_model, got {model!r}."
        )
    folder = Path(os.fspath(handle)).expanduser()
    if (folder / "saved_model.pb").is_file():
        digest = hashlib.sha256()
        for part in ("saved_model.pb", "variables/variables.index"):
            if (folder / part).is_file():
                digest.update(part.encode() + b"\0" + (folder / part).read_bytes())
        return f"savedmodel:{digest.hexdigest()[:16]}"
    return os.fspath(handle)


def normalize_target(target: Any, name: str = "target") -> int | str:
    """A target as the key and the IG core take it: an ``int``, ``"top-1"``, or a label.

    The command line gives every target as text; ``"967"`` becomes ``967`` and ``"top1"``
    becomes ``"top-1"``, so they name the same outputs.

    Raises
    ------
    ValueError
        For a negative index, an empty string, or anything but an integer or a string.
    """
    if isinstance(target, str):
        text = target.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            target = int(text)
        elif text.lower() in TOP_1_NAMES:
            return "top-1"
        elif not text:
            raise ValueError(f"{name} is empty; give a class index, a label or 'top-1'.")
        else:
            return text
    return positive_integer(target, name, minimum=0)


@dataclass(frozen=True)
class AttributionSettings:
    """What every image of a batch run is attributed with (see :func:`integrated_gradients`).

    Attributes
    ----------
    model : str
        The model's identity (:func:`model_identity`).
    m_steps : int or "auto", default 64
        Sub-intervals of the integration rule, or ``"auto"``.
    method : str, default :data:`DEFAULT_METHOD`
        Integration rule (aliases are resolved to the canonical name).
    baseline : str, default "black"
        A name from :data:`ig_tutorial.BASELINES`.
    output : {"probability", "logit"}, default :data:`DEFAULT_OUTPUT`
        The attributed score.
    tolerance : float, default :data:`DEFAULT_TOLERANCE`
        ``m_steps="auto"`` only.
    max_steps : int, default :data:`DEFAULT_MAX_STEPS`
        ``m_steps="auto"`` only.
    batch_size : int, "auto" or None
        Gradient evaluations per model call. Not part of the key: results do not depend on it
        beyond float rounding.
    dtype : {"float32", "float16"}, default "float32"
        How attributions are stored.

    Raises
    ------
    ValueError
        On construction, for any invalid setting (checked once, before any image is read).
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
        object.__setattr__(self, "m_steps", steps_or_auto(self.m_steps))
        object.__setattr__(self, "method", canonical_rule_name(self.method))
        object.__setattr__(self, "tolerance", positive_number(self.tolerance, "tolerance"))
        object.__setattr__(self, "max_steps", positive_integer(self.max_steps, "max_steps"))
        if self.m_steps == "auto":
            check_adaptive_settings(self.method, self.tolerance, self.max_steps)
        one_of(self.baseline, tuple(BASELINES), "baseline")
        one_of(self.output, TARGET_OUTPUTS, "output")
        one_of(self.dtype, ATTRIBUTION_DTYPES, "dtype")
        if self.batch_size is not None and self.batch_size != "auto":
            object.__setattr__(self, "batch_size", positive_integer(self.batch_size, "batch_size"))

    def as_dict(self) -> dict[str, Any]:
        """All settings, as stored in every output file."""
        return asdict(self)

    def result_settings(self) -> dict[str, Any]:
        """The settings that decide the attributions (and so the key)."""
        decisive = {
            "model": self.model,
            "m_steps": self.m_steps,
            "method": self.method,
            "baseline": self.baseline,
            "output": self.output,
            "dtype": self.dtype,
        }
        if self.m_steps == "auto":
            decisive |= {"tolerance": self.tolerance, "max_steps": self.max_steps}
        return decisive

    def key(self, sha256: str, target: int | str) -> str:
        """The SHA-256 (hex) that identifies the output of one input under these settings.

        Parameters
        ----------
        sha256 : str
            The input's content hash.
        target : int or str
            The input's target, normalized (:func:`normalize_target`).

        Returns
        -------
        str
            64 hexadecimal digits.
        """
        content = {
            "format": FORMAT_VERSION,
            "input_sha256": sha256,
            "target": target,
            **self.result_settings(),
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()
