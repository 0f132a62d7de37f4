"""From nothing to a trained projector with the package's own commands, timed stage by stage.

Runs what the README tells a student to run — ``tiny-audio prepare-data`` (training and
held-out speech), ``tiny-audio train --from-scratch`` (feature cache, CTC warm start, LLM stage, from a random
projector) and
``tiny-audio eval`` (LibriVox, synthetic test) — in a work folder, and reports each
command's wall time and the WERs. A command whose output is already there is skipped, so
an interrupted run continues where it stopped (``train`` itself resumes from its last
checkpoint); skipped commands are reported as such, not timed.

    python bench/train_from_nothing.py /tmp/from-nothing --n 6000 --record
    python bench/train_from_nothing.py /tmp/small --n 200 --ctc-steps 20 --steps 10   # a quick check
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import report

TINY_AUDIO = [sys.executable, "-m", "tiny_audio.cli"]


def run(name: str, args: list[str], done: Path, log: Path) -> str:
    """Run ``tiny-audio ARGS`` unless ``done`` exists; its output goes to ``log``."""
    if done.exists():
        return f"{name:34} skipped ({done.name} was there)"
    start = time.perf_counter()
    with log.open("a") as out:
        subprocess.run([*TINY_AUDIO, *args], stdout=out, stderr=subprocess.STDOUT, check=True)
    return f"{name:34} {(time.perf_counter() - start) / 60:6.1f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="work folder: data/, val/, run/ and the logs")
    parser.add_argument("--n", type=int, default=6000, help="training utterances (default: 6000)")
    parser.add_argument("--seed", type=int, default=21, help="prepare-data seed (default: 21)")
    parser.add_argument("--ctc-steps", type=int, help="default: tiny-audio train's")
    parser.add_argument("--steps", type=int, help="LLM steps; default: tiny-audio train's")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None and shutil.which("flite") is None:
        sys.exit("no speech synthesizer: pip install -e '.[data]' (or apt-get install espeak-ng)")

    folder = args.folder
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "commands.log"
    data, val, out = folder / "data", folder / "val", folder / "run"
    steps = [*(["--ctc-steps", str(args.ctc_steps)] if args.ctc_steps is not None else []),
             *(["--steps", str(args.steps)] if args.steps is not None else [])]
    lines = [
        run(f"prepare-data --n {args.n}", ["prepare-data", str(data), "--n", str(args.n), "--seed", str(args.seed)],
            data / "manifest.jsonl", log),
        run("prepare-data --n 100 --split test", ["prepare-data", str(val), "--n", "100", "--split", "test",
                                                  "--seed", "98"], val / "manifest.jsonl", log),
        run(f"train --from-scratch {' '.join(steps)}", ["train", str(data), "--eval-data", str(val), "--out", str(out),
                                                        "--from-scratch", *steps], out / "model.safetensors", log),
    ]
    for test_set in ("librivox", "synthetic"):
        result = folder / f"{test_set}.json"
        lines.append(run(f"eval --data {test_set}", ["eval", "--model", str(out), "--data", test_set,
                                                    "--out", str(result)], result, log))
        lines.append(f"  WER on {test_set}: {json.loads(result.read_text())['wer']:.1%}")
    report("projector training from nothing (prepare-data + train + eval)", lines, save=args.record)


if __name__ == "__main__":
    main()
