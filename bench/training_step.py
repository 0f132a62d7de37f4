"""Projector training step time, with cached encoder features and without.

Without the cache, every step must turn each clip into a log-mel spectrogram and run the
frozen Whisper encoder over a full 30 s window before the projector sees anything. With it,
a step reads stored frames and runs only the projector and the LLM. Both sides run in this
process on the same batch, so the ratio is meaningful on a noisy machine.

    python bench/training_step.py --preset embedded --batch-size 8 --seconds 4 --steps 3
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from common import machine, median_seconds, report

from tiny_audio import SAMPLE_RATE, ASRModel, encode, log_mel_spectrogram, n_encoder_frames
from tiny_audio.training import make_batch
from tiny_audio.weights.device import has_fast_bf16

SENTENCE = "she was not an ill disposed young woman but rather selfish"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="embedded")
    parser.add_argument("--device", default=None)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each clip")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per side (after one warm-up)")
    parser.add_argument("--precision", choices=("auto", "bf16", "no"), default="auto",
                        help="bf16 autocast as `tiny-audio train` uses it; auto: on a GPU or a CPU with native bf16")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    model = ASRModel.from_pretrained(args.preset, device=args.device)
    device = model.audio_projector.proj.weight.device
    projector = model.audio_projector.train()
    optimizer = torch.optim.AdamW(projector.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    audios = [rng.standard_normal(int(args.seconds * SAMPLE_RATE)).astype(np.float32) * 0.1 for _ in range(args.batch_size)]

    def features_of(batch_audio: list[np.ndarray]) -> list[tuple[torch.Tensor, str]]:
        mels = torch.stack([log_mel_spectrogram(a, model.config.n_mels, device=device) for a in batch_audio])
        frames = encode(model.audio_encoder, mels, n_encoder_frames(len(batch_audio[0])))
        return [(f.float().cpu(), SENTENCE) for f in frames]

    cached = features_of(audios)

    use_bf16 = args.precision == "bf16" or (args.precision == "auto" and has_fast_bf16(device))

    def step(examples: list[tuple[torch.Tensor, str]] | None) -> None:
        """One optimizer step; ``None``: encode the clips first, inside the step."""
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            batch = make_batch(examples or features_of(audios), model.tokenizer, model.config.prompt,
                               model.config.audio_downsample_rate)
            loss = model(**batch.to(device).model_inputs("llm", ctc=False)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    with_cache = median_seconds(device, lambda: step(cached), args.steps)
    without_cache = median_seconds(device, lambda: step(None), args.steps)
    lines = [
        f"{args.preset} preset on {machine(device)}; batch {args.batch_size} x {args.seconds:g} s clips; "
        f"{'bf16 autocast' if use_bf16 else 'float32'}",
        f"  step with cached features:      {with_cache:7.3f} s  ({args.batch_size / with_cache:6.1f} samples/s)",
        f"  step re-running the encoder:    {without_cache:7.3f} s  ({args.batch_size / without_cache:6.1f} samples/s)",
        f"  speed-up from the cache:        {without_cache / with_cache:7.1f}x",
    ]
    report("projector training step", lines, save=args.record)


if __name__ == "__main__":
    main()
