"""The log-mel front end: tiny_audio's torch version against transformers' and librosa's.

All three turn 30 s of 16 kHz audio into Whisper's 80 x 3000 log-mel spectrogram.
``transformers.WhisperFeatureExtractor`` is what most users would pick (numpy, one clip at
a time); librosa is the usual audio library; ``tiny_audio.log_mel_spectrogram`` runs in
torch on a whole batch at once, on the CPU or a GPU. All sides run in this process on the
same clips; the table gives clips per second and each side's largest absolute difference
from the transformers extractor.

    python bench/log_mel_frontend.py --batch-sizes 1 32
    python bench/log_mel_frontend.py --device cuda --record
"""

from __future__ import annotations

import argparse

import librosa
import numpy as np
import torch
from common import machine, median_seconds, report
from transformers import WhisperFeatureExtractor

from tiny_audio import N_SAMPLES, SAMPLE_RATE, log_mel_spectrogram
from tiny_audio.log_mel import HOP_LENGTH, N_FFT

N_MELS = 80


def librosa_log_mel(batch: np.ndarray) -> np.ndarray:
    """Whisper's recipe written with librosa: power STFT, Slaney mel filters, log10, clamp."""
    out = []
    for audio in batch:
        power = np.abs(librosa.stft(audio, n_fft=N_FFT, hop_length=HOP_LENGTH, window="hann", pad_mode="reflect")) ** 2
        mel = librosa.feature.melspectrogram(S=power[:, :-1], sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS,
                                             htk=False, norm="slaney")
        log_spec = np.log10(np.maximum(mel, 1e-10))
        log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
        out.append((log_spec + 4.0) / 4.0)
    return np.stack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="where tiny_audio's torch version runs")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per side (after one warm-up)")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    device = torch.device(args.device)
    extractor = WhisperFeatureExtractor(feature_size=N_MELS)
    rng = np.random.default_rng(0)
    lines = [f"30 s clips, {N_MELS} mels; tiny_audio on {machine(device)}",
             f"{'batch':>5} {'side':<28} {'clips/s':>9} {'vs HF':>7} {'max |diff| vs HF':>17}"]
    for batch_size in args.batch_sizes:
        batch = (0.1 * rng.standard_normal((batch_size, N_SAMPLES))).astype(np.float32)
        batch_on_device = torch.from_numpy(batch).to(device)
        sides = {
            "transformers extractor": lambda: extractor(list(batch), sampling_rate=SAMPLE_RATE,
                                                        return_tensors="np").input_features,
            "librosa": lambda: librosa_log_mel(batch),
            f"tiny_audio (torch, {device.type})": lambda: log_mel_spectrogram(batch_on_device, N_MELS, device=device),
        }
        reference = sides["transformers extractor"]()
        hf_time = None
        for name, fn in sides.items():
            seconds = median_seconds(device, fn, args.repeats)
            hf_time = hf_time or seconds
            out = fn()
            out = out.cpu().numpy() if isinstance(out, torch.Tensor) else out
            diff = float(np.abs(out.reshape(reference.shape) - reference).max())
            lines.append(f"{batch_size:>5} {name:<28} {batch_size / seconds:>9.1f} {hf_time / seconds:>6.1f}x {diff:>17.2e}")
    report("log-mel front end", lines, save=args.record)


if __name__ == "__main__":
    main()
