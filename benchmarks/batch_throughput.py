"""Batch runs: images per second (local engine, Ray with 1 and 2 workers), Ray's overhead, memory.

``docs/batch.md`` reports what this measured. Three commands::

    python -m benchmarks.batch_throughput throughput --images 12 --m-steps 64
    python -m benchmarks.batch_throughput throughput --images 6 --m-steps auto
    python -m benchmarks.batch_throughput overhead --images 100
    python -m benchmarks.batch_throughput memory --counts 50 200

``throughput`` attributes the six bundled photos and their mirror images (distinct bytes, so
twelve inputs) with the bundled EfficientNet-Lite0, once per engine, each run into a fresh
output folder and in a fresh process (so TensorFlow's thread pool is set up as a user's run
would set it). For each run it reports the wall time from the call to the last record, the time
to the first record (start-up: loading the model; for Ray also starting the cluster and its
actors), and the steady rate after the first record.

``overhead`` isolates what Ray adds per image: the same runs with a model so small (the tests'
four-channel toy conv net, 2 steps, 16 x 16 input files) that an image costs milliseconds, so
the difference in the steady time per image between the local engine and one Ray worker is the
engine's own cost (dispatching an input to the actor, returning its record).

``memory`` synthesizes small images and attributes the first ``N`` of them in a fresh process
per count, with figures on, and reports the process's peak resident memory (``VmHWM``) and its
resident memory after every 10th image, so growth with the number of images would show.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

#: (engine, workers, CPUs per worker) of the throughput runs.
CONFIGURATIONS = (("local", None, None), ("ray", 1, 2), ("ray", 1, 1), ("ray", 2, 1))


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0
    raise OSError(f"/proc/self/status has no {field}")


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def make_photos(folder: Path, count: int) -> list[Path]:
    """The bundled photos and their mirror images, ``count`` files in all."""
    from PIL import Image

    from ig_tutorial.sources import BUNDLED_IMAGES, bundled_image_path

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        name = BUNDLED_IMAGES[index % len(BUNDLED_IMAGES)]
        with Image.open(bundled_image_path(name)) as image:
            image = image.convert("RGB")
            for _ in range(index // len(BUNDLED_IMAGES)):
                image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            path = folder / f"{index:03d}_{name}.png"
            image.save(path)
            paths.append(path)
    return paths


def make_small_images(folder: Path, count: int, size: tuple[int, int] = (96, 128)) -> None:
    """``count`` distinct smooth random images (PNG), seeded."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        block = min(8, *size)
        coarse = rng.uniform(size=(size[0] // block, size[1] // block, 3))
        image = np.kron(coarse, np.ones((block, block, 1))) * 255
        Image.fromarray(image.astype(np.uint8)).save(folder / f"{index:04d}.png")


def run_once(
    inputs: Path, output: Path, engine: str, workers, cpus, m_steps, model="efficientnet-lite0"
) -> dict:
    """One timed run (in this process)."""
    from ig_tutorial.batch import attribute_files

    start = time.perf_counter()
    options = {"engine": engine, "m_steps": m_steps}
    if engine == "ray":
        options |= {"workers": workers, "cpus_per_worker": cpus}
    run = attribute_files([inputs], output, model, **options)
    times, seconds = [], []
    for record in run:
        assert record.status == "done", record
        times.append(time.perf_counter() - start)
        seconds.append(record.seconds)
    n = len(times)
    return {
        "engine": engine,
        "workers": workers,
        "cpus_per_worker": cpus,
        "m_steps": m_steps,
        "images": n,
        "wall_s": times[-1],
        "first_record_s": times[0],
        "images_per_s": n / times[-1],
        "steady_images_per_s": (n - 1) / (times[-1] - times[0]) if n > 1 else None,
        "mean_record_s": sum(seconds) / n,
        "median_record_s": sorted(seconds)[n // 2],
        "peak_rss_mb": _status_mb("VmHWM"),
    }


def memory_once(inputs: Path, output: Path, count: int, m_steps: int) -> dict:
    """Attribute the first ``count`` images with figures; peak and sampled resident memory."""
    from ig_tutorial.batch import attribute_files

    files = sorted(inputs.glob("*.png"))[:count]
    start = time.perf_counter()
    run = attribute_files(files, output, "efficientnet-lite0", m_steps=m_steps, figures=True)
    samples = {}
    for index, record in enumerate(run, start=1):
        assert record.status == "done", record
        if index % 10 == 0 or index == 1:
            samples[index] = round(_status_mb("VmRSS"), 1)
    return {
        "images": count,
        "m_steps": m_steps,
        "wall_s": time.perf_counter() - start,
        "peak_rss_mb": _status_mb("VmHWM"),
        "rss_mb_after_image": samples,
    }


def _in_fresh_process(arguments: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.batch_throughput", "_one", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{arguments} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    throughput = commands.add_parser("throughput")
    throughput.add_argument("--images", type=int, default=12)
    throughput.add_argument("--m-steps", nargs="+", default=["64", "auto"])
    overhead = commands.add_parser("overhead")
    overhead.add_argument("--images", type=int, default=100)
    memory = commands.add_parser("memory")
    memory.add_argument("--counts", type=int, nargs="+", default=[50, 200])
    memory.add_argument("--m-steps", type=int, default=16)
    one = commands.add_parser("_one")  # a single run, in the process the others start
    one.add_argument("kind", choices=("throughput", "memory"))
    one.add_argument("--model", default="efficientnet-lite0")
    one.add_argument("inputs", type=Path)
    one.add_argument("output", type=Path)
    one.add_argument("--engine", default="local")
    one.add_argument("--workers", type=int, default=None)
    one.add_argument("--cpus", type=float, default=None)
    one.add_argument("--m-steps", default="64")
    one.add_argument("--count", type=int, default=0)
    args = parser.parse_args(argv)

    if args.command == "_one":
        steps = args.m_steps if args.m_steps == "auto" else int(args.m_steps)
        if args.kind == "throughput":
            result = run_once(
                args.inputs, args.output, args.engine, args.workers, args.cpus, steps, args.model
            )
        else:
            result = memory_once(args.inputs, args.output, args.count, steps)
        print(json.dumps(result))
        return 0

    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {"load_before": _load(), "runs": []}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if args.command == "throughput":
            make_photos(scratch / "in", args.images)
            for m_steps in args.m_steps:
                for engine, workers, cpus in CONFIGURATIONS:
                    out = scratch / f"out-{engine}-{workers}-{cpus}-{m_steps}"
                    arguments = ["throughput", str(scratch / "in"), str(out), "--engine", engine]
                    arguments += ["--m-steps", m_steps]
                    if engine == "ray":
                        arguments += ["--workers", str(workers), "--cpus", str(cpus)]
                    result = _in_fresh_process(arguments) | {"load_after": _load()}
                    print(json.dumps(result), flush=True)
                    results["runs"].append(result)
        elif args.command == "overhead":
            from tests.batch_fixtures import export_toy_model

            model = export_toy_model(scratch / "toy")
            make_small_images(scratch / "in", args.images, size=(16, 16))
            for engine, workers, cpus in (("local", None, None), ("ray", 1, 1)):
                arguments = ["throughput", str(scratch / "in"), str(scratch / f"out-{engine}")]
                arguments += ["--engine", engine, "--m-steps", "2", "--model", str(model)]
                if engine == "ray":
                    arguments += ["--workers", str(workers), "--cpus", str(cpus)]
                result = _in_fresh_process(arguments) | {"load_after": _load()}
                print(json.dumps(result), flush=True)
                results["runs"].append(result)
        else:
            make_small_images(scratch / "in", max(args.counts))
            for count in args.counts:
                arguments = ["memory", str(scratch / "in"), str(scratch / f"out-{count}")]
                arguments += ["--count", str(count), "--m-steps", str(args.m_steps)]
                result = _in_fresh_process(arguments) | {"load_after": _load()}
                print(json.dumps(result), flush=True)
                results["runs"].append(result)
    path = RESULTS / f"batch_{args.command}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
