"""Peak memory of one Integrated Gradients run, measured in a fresh process.

Each configuration runs in its own process (``python -m benchmarks.memory_probe IMPLEMENTATION
M_STEPS``), so no run inherits another's allocations. The probe loads the model and image,
prepares (traces) the implementation, then resets the kernel's peak-RSS counter (Linux
``/proc/self/clear_refs``): loading the model peaks higher than a small IG run, and without the
reset that peak would hide the run's own. It runs once and prints, as one JSON line, the resident
memory before the run, the peak during it, and their difference: what the run itself needed.
Where the counter cannot be reset, the process's lifetime peak (``ru_maxrss``) is used and the
result says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0  # reported in kB
    raise OSError(f"/proc/self/status has no {field}")


def _reset_peak() -> str:
    """Start a new peak-RSS measurement; return how the peak will be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak RSS (Linux >= 4.0)
        _status_mb("VmHWM")
    except OSError:
        return "ru_maxrss"
    return "VmHWM"


def _current_mb(method: str) -> float:
    if method == "VmHWM":
        return _status_mb("VmRSS")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _peak_mb(method: str) -> float:
    if method == "VmHWM":
        return _status_mb("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def probe(implementation: str, m_steps: int, model_name: str, image_name: str) -> dict:
    import tensorflow as tf

    from benchmarks.implementations import implementations
    from benchmarks.measure import top1_target
    from benchmarks.toy_model import toy_classifier, toy_images
    from ig_tutorial import load_model, read_image

    if model_name == "toy":
        model, image = toy_classifier(), next(iter(toy_images(1).values()))
    else:
        model, image = load_model(model_name), read_image(image_name)
    entry = next(entry for entry in implementations() if entry.name == implementation)
    baseline = tf.zeros_like(image)
    target = top1_target(model, image)
    if entry.prepare is not None:
        entry.prepare(model, image, baseline, target, m_steps)
    method = _reset_peak()
    before = _current_mb(method)
    attribution = entry.attribute(model, image, baseline, target, m_steps)
    peak = _peak_mb(method)
    return {
        "implementation": implementation,
        "m_steps": m_steps,
        "num_evaluations": attribution.num_evaluations,
        "rss_before_mb": before,
        "peak_rss_mb": peak,
        "growth_mb": peak - before,
        "method": method,
    }


def run_memory_probe(
    implementation: str,
    m_steps: int | float,
    *,
    model_name: str = "efficientnet-lite0",
    image_name: str = "coffee",
    timeout: float = 1200.0,
) -> dict:
    """Run :func:`probe` in a fresh Python process and return its measurement."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = [
        sys.executable,
        "-m",
        "benchmarks.memory_probe",
        implementation,
        str(m_steps),
        "--model",
        model_name,
        "--image",
        image_name,
    ]
    run = subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(
            f"memory probe {implementation} m_steps={m_steps} failed ({run.returncode}):\n"
            f"{run.stderr[-2000:]}"
        )
    return json.loads(run.stdout.strip().splitlines()[-1])


def _setting(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("implementation", help='an implementation name, e.g. "tutorial"')
    parser.add_argument(
        "m_steps", type=_setting, help="m_steps, or the tolerance of an automatic-steps entry"
    )
    parser.add_argument("--model", default="efficientnet-lite0", help='or "toy"')
    parser.add_argument("--image", default="coffee")
    args = parser.parse_args(argv)
    print(json.dumps(probe(args.implementation, args.m_steps, args.model, args.image)))


if __name__ == "__main__":
    main()
