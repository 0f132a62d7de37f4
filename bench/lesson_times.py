"""Course check time: each lesson under strict nbval, its wall time and peak memory.

Each lesson runs in its own pytest process (as an instructor would check it), so the peak
resident memory measured is that lesson's alone: the largest of pytest and the notebook
kernel it starts. Goals: <= 90 s and <= 3 GB per lesson, <= 5 min for the whole course.
The CPU's matrix-product speed before and after says how fast the machine was meanwhile.

    python bench/lesson_times.py
    python bench/lesson_times.py course/04_evaluation.ipynb --record
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch

from common import cpu_gflops, machine, report

COURSE = Path(__file__).parents[1] / "course"
GOAL_SECONDS, GOAL_GB, GOAL_COURSE_MINUTES = 90, 3.0, 5

# Run in a child process: RUSAGE_CHILDREN then covers that lesson's pytest and kernel only.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", sys.argv[1]],
                      capture_output=True).returncode
print(json.dumps({"seconds": time.perf_counter() - start, "code": code,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", type=Path, help="default: every course/NN_*.ipynb")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    lessons = args.lessons or sorted(COURSE.glob("[0-9][0-9]_*.ipynb"))
    gflops_before = cpu_gflops()
    lines = [f"strict nbval per lesson on {machine(torch.device('cpu'))}",
             f"{'lesson':<26} {'result':>7} {'wall s':>8} {'peak GB':>8}  goal <= {GOAL_SECONDS} s, <= {GOAL_GB:g} GB"]
    total = 0.0
    for lesson in lessons:
        out = subprocess.run([sys.executable, "-c", _MEASURE, str(lesson)], capture_output=True, text=True,
                             cwd=COURSE.parent, check=True).stdout
        run = json.loads(out.strip().splitlines()[-1])
        total += run["seconds"]
        gb = run["peak_kb"] / 1024**2
        verdict = "ok" if run["seconds"] <= GOAL_SECONDS and gb <= GOAL_GB else "OVER"
        lines.append(f"{lesson.stem:<26} {'passed' if run['code'] == 0 else 'FAILED':>7} "
                     f"{run['seconds']:>8.1f} {gb:>8.2f}  {verdict}")
    course_ok = "ok" if total <= 60 * GOAL_COURSE_MINUTES else "OVER"
    lines.append(f"{'whole course':<26} {'':>7} {total:>8.1f} {'':>8}  goal <= {GOAL_COURSE_MINUTES} min: {course_ok}")
    lines.append(f"CPU speed (float32 matrix product): {gflops_before:.0f} GFLOP/s before, {cpu_gflops():.0f} after")
    report("course check time", lines, save=args.record)


if __name__ == "__main__":
    main()
