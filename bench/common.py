"""What every benchmark script shares: naming the machine, timing, and recording a result."""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import torch

BENCHMARKS = Path(__file__).parents[1] / "BENCHMARKS.md"


def machine(device: torch.device) -> str:
    """The device in words, e.g. "cuda (NVIDIA H100 80GB HBM3)" or "cpu (AMD EPYC, x86_64, 2 threads)":
    the CPU's model name where Linux tells it, since two 2-core machines can differ twofold."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({', '.join(filter(None, [_cpu_model(), platform.machine()]))}, {torch.get_num_threads()} threads)"


def _cpu_model() -> str | None:
    """The "model name" line of /proc/cpuinfo (Linux), else None."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)


def timed(fn: Callable[[], object], device: torch.device | None = None) -> tuple[object, float]:
    """``fn()`` and its wall time in seconds (on a GPU ``device``, until the GPU is done)."""
    sync = torch.cuda.synchronize if device is not None and device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    result = fn()
    sync()
    return result, time.perf_counter() - start


def median_seconds(device: torch.device, fn: Callable[[], object], repeats: int = 5) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls after one warm-up call."""
    fn()
    return statistics.median(timed(fn, device)[1] for _ in range(repeats))


def cpu_gflops(size: int = 1024, repeats: int = 5) -> float:
    """This CPU's float32 matrix-product speed now, in GFLOP/s (median of ``repeats``).

    Shared or throttled machines of the same model can differ by half from hour to hour;
    recorded beside a timing, it says how fast the machine was while it ran."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size**3 / median_seconds(torch.device("cpu"), lambda: a @ b, repeats) / 1e9


def report(title: str, lines: list[str], *, save: bool) -> None:
    """Print ``lines``; with ``save``, also append them to BENCHMARKS.md with the command and date."""
    print("\n".join(lines))
    if not save:
        return
    script = Path(sys.argv[0]).resolve()
    script = script.relative_to(BENCHMARKS.parent) if script.is_relative_to(BENCHMARKS.parent) else script
    command = " ".join(["python", str(script), *sys.argv[1:]])  # as run from the repository's root
    body = "\n".join(lines)
    with BENCHMARKS.open("a") as f:
        f.write(f"\n## {date.today()}: {title}\n\n`{command}`\n\n```\n{body}\n```\n")
