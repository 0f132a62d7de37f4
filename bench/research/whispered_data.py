"""Whispered training speech made in code: a copy of a prepare-data folder in which a share of the
clips is *whispered* by source replacement. Each 25 ms frame's spectral envelope is kept (linear
prediction, order 20) and its excitation — the vocal folds' buzz, the pitch — is replaced by white
noise of the same power, which is what whispering does: the vocal tract shapes the words, nothing
voices them. Only clips without a room or a telephone line are whispered (the source is changed
before those would act). The probe `whispered_probe.py` whispers another way (espeak-ng's whisper
variants), so it measures whether this carries over rather than whether it was memorized. Usage:
  python whispered_data.py SRC OUT SHARE    e.g. python whispered_data.py /work/e2e/dataw0 /work/e2e/dataw 0.5
"""
import json, shutil, sys
from pathlib import Path
import numpy as np, scipy.linalg, scipy.signal, soundfile as sf
from tqdm import tqdm
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_audio.weights.cache import COMPLETE_MARKER

FRAME, HOP, ORDER = 400, 100, 20  # 25 ms frames every 6.25 ms at 16 kHz; LPC order for a 16 kHz vocal tract


def whispered(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``audio (n,)`` with its excitation replaced by noise: the same words, whispered; same length and peak."""
    window = np.hanning(FRAME)
    padded = np.concatenate([np.zeros(FRAME), audio.astype(np.float64), np.zeros(FRAME)])
    out, weight = np.zeros_like(padded), np.zeros_like(padded)
    for start in range(0, len(padded) - FRAME, HOP):
        frame = padded[start: start + FRAME] * window
        if np.mean(frame ** 2) < 1e-10:
            continue
        r = np.correlate(frame, frame, "full")[FRAME - 1: FRAME + ORDER]  # autocorrelation, lags 0..ORDER
        r[0] *= 1 + 1e-6  # a little white noise keeps the system well conditioned
        envelope = np.concatenate([[1.0], scipy.linalg.solve_toeplitz(r[:-1], -r[1:])])  # (ORDER + 1,)
        power = np.mean(scipy.signal.lfilter(envelope, [1.0], frame) ** 2)  # of the excitation
        noise = rng.standard_normal(FRAME) * np.sqrt(power)
        out[start: start + FRAME] += scipy.signal.lfilter([1.0], envelope, noise) * window
        weight[start: start + FRAME] += window ** 2
    out = (out / np.maximum(weight, 1e-3))[FRAME: FRAME + len(audio)]
    return (out * np.max(np.abs(audio)) / max(np.max(np.abs(out)), 1e-9)).astype(np.float32)


def main():
    src, out, share = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    records = [json.loads(line) for line in (src / "manifest.jsonl").open()]
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "audio").mkdir(parents=True)
    rng = np.random.default_rng(0)
    n_whispered = 0
    with (tmp / "manifest.jsonl").open("w") as manifest:
        for record in tqdm(records, desc="whispering"):
            audio, rate = sf.read(src / record["path"], dtype="float32")
            record["phonation"] = None
            if record["reverb_rt60"] is None and record["channel"] is None and rng.random() < share:
                audio, record["phonation"] = whispered(audio, rng), "whispered"
                n_whispered += 1
            sf.write(tmp / record["path"], audio, rate, format="FLAC", subtype="PCM_16")
            manifest.write(json.dumps(record) + "\n")
    shutil.copy(src / COMPLETE_MARKER, tmp / COMPLETE_MARKER)  # what read_manifest looks for
    tmp.rename(out)
    print(f"{out}: {n_whispered} of {len(records)} clips whispered")


if __name__ == "__main__":
    main()
