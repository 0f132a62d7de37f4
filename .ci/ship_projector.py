"""Make a trained run the embedded preset's shipped projector (maintainers only).

    python .ci/ship_projector.py RUN_DIR --command "tiny-audio train ..." --data "..." --train-minutes M
    python .ci/ship_projector.py --remeasure

Copies RUN_DIR/model.safetensors to tiny_audio/presets/embedded.safetensors, sets the preset's
CTC fusion blank to the one `train` set for the run (embedded.json), and writes
tiny_audio/presets/embedded.training.json: how it was trained (the command, the data, the
steps, final loss and a thinned loss curve of every stage from RUN_DIR/history.json, the
time) and the WER it measures now on
the bundled LibriVox clips and the bundled held-out synthetic sentences, with the course's
own WER code. Both files are written to a temporary name and renamed.

``--remeasure`` keeps the shipped projector and its record, and measures the WER again as the
embedded preset now writes (after a change to its decoding settings, such as beams or
guidance): the record's ``wer`` becomes that, with the date and the decoding, and the figures
measured when it was shipped move to ``wer_when_shipped``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

from tiny_audio.evaluation import evaluate, librivox_items, synthetic_items
from tiny_audio.evaluation.reference import WhisperTranscriber
from tiny_audio.model import PROJECTOR_FILE, ASRModel
from tiny_audio.presets import PRESET_DIR, training_record
from tiny_audio.publish.hub import decoding_description
from tiny_audio.training import HISTORY_FILE
from tiny_audio.weights.cache import atomic_write_bytes


HISTORY_POINTS = 200  # at most this many points of the loss curve go into the record


def loss_curve(history: list[dict]) -> list[dict]:
    """``history`` (one record per step, or per logged point) thinned to about
    ``HISTORY_POINTS`` points: the mean loss of each run of consecutive records of one stage,
    with the held-out loss (``eval_loss``) where one of those records measured it."""
    per_point = max(1, len(history) // HISTORY_POINTS)
    curve = []
    for start in range(0, len(history), per_point):
        chunk = [h for h in history[start : start + per_point] if h["stage"] == history[start]["stage"]]
        point = {"step": chunk[-1]["step"], "stage": chunk[0]["stage"],
                 "loss": round(sum(h["loss"] for h in chunk) / len(chunk), 4)}
        held_out = [h["eval_loss"] for h in chunk if "eval_loss" in h]
        if held_out:
            point["eval_loss"] = round(held_out[-1], 4)
        curve.append(point)
    return curve


def test_sets() -> dict:
    """The record's test sets: the bundled LibriVox clips and held-out synthetic sentences."""
    return {"librivox": librivox_items(), "synthetic test": synthetic_items("test")}


def measure(model: ASRModel, sets: dict) -> tuple[dict[str, float], float]:
    """``model``'s WER on each of ``sets`` (``test_sets()``; rounded for the record) and the seconds it took."""
    started = time.perf_counter()
    results = {name: evaluate(model.transcribe, items, batched=True) for name, items in sets.items()}
    for name, result in results.items():
        print(f"{name}: WER {result.wer:.1%}")
    return {name: round(result.wer, 4) for name, result in results.items()}, round(time.perf_counter() - started, 1)


def remeasure() -> dict:
    """The shipped record with its WER measured again as the embedded preset now writes."""
    record = training_record("embedded")
    model = ASRModel.from_pretrained("embedded", device="cpu")
    record.setdefault("wer_when_shipped", record["wer"])
    record["wer"], record["eval_seconds"] = measure(model, test_sets())
    record["wer_measured"] = f"{time.strftime('%Y-%m-%d')}, {decoding_description(model.config)}"
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, nargs="?", help="a finished `tiny-audio train` run folder")
    parser.add_argument("--command", help="the exact commands that made the run")
    parser.add_argument("--data", help="what it was trained on")
    parser.add_argument("--train-minutes", type=float, help="wall time of the training run")
    parser.add_argument("--remeasure", action="store_true", help="measure the shipped projector again; nothing else changes")
    args = parser.parse_args()
    if args.remeasure:
        record = remeasure()
        atomic_write_bytes(PRESET_DIR / "embedded.training.json", (json.dumps(record, indent=1) + "\n").encode())
        print(json.dumps({k: v for k, v in record.items() if k != "history"}, indent=1))
        return 0
    if args.run is None or args.command is None or args.data is None or args.train_minutes is None:
        parser.error("give RUN_DIR with --command, --data and --train-minutes, or --remeasure")

    history = json.loads((args.run / HISTORY_FILE).read_text())
    model = ASRModel.from_pretrained(args.run, device="cpu")
    sets = test_sets()
    wer, eval_seconds = measure(model, sets)
    whisper = WhisperTranscriber(model.config.audio_model_id, device="cpu")
    reference = {name: evaluate(whisper.transcribe, items) for name, items in sets.items()}
    for name, result in reference.items():
        print(f"{name}: Whisper's own decoder WER {result.wer:.1%}")
    last_100 = [h for h in history if h["step"] > history[-1]["step"] - 100]
    record = {
        "command": args.command,
        "data": args.data,
        "steps": history[-1]["step"],
        "final_loss_mean_of_last_100": round(sum(h["loss"] for h in last_100) / len(last_100), 3),
        "train_minutes": args.train_minutes,
        "machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "wer": wer,
        "eval_command": "tiny-audio eval --data librivox; tiny-audio eval --data synthetic",
        "eval_seconds": eval_seconds,
        "wer_measured": f"{time.strftime('%Y-%m-%d')}, {decoding_description(model.config)}",
        "whisper_own_decoder_wer": {name: round(result.wer, 4) for name, result in reference.items()},
        "history": loss_curve(history),
    }
    atomic_write_bytes(PRESET_DIR / "embedded.safetensors", (args.run / PROJECTOR_FILE).read_bytes())
    preset = json.loads((PRESET_DIR / "embedded.json").read_text())
    preset["ctc_fusion_blank"] = model.config.ctc_fusion_blank  # the projector's own (training.calibrated_fusion_blank)
    atomic_write_bytes(PRESET_DIR / "embedded.json", (json.dumps(preset, indent=2) + "\n").encode())
    atomic_write_bytes(PRESET_DIR / "embedded.training.json", (json.dumps(record, indent=1) + "\n").encode())
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
