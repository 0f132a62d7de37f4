"""Does guidance toward the audio help or hurt on some kinds of recording? The 90 held-out clips
of val40 + val50 transcribed through the package (7 s pieces, 4 beams) at each guidance scale, WER
grouped by what prepare-data did to each clip (voice engine, telephone line, room reverberation,
noise level). Usage: python guidance_by_condition.py MODEL SCALES    e.g. embedded 1,1.5
"""
import sys
import numpy as np, soundfile as sf
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, read_manifest, word_error_rate

val = "/work/data/val"
records = read_manifest(val)
records = records[:60] + records[120:150]  # val40 + val50: the short held-out clips no long set uses
audio = [sf.read(f"{val}/{r['path']}", dtype="float32")[0] for r in records]
groups = {
    "all": lambda r: True,
    "piper voices": lambda r: r["voice"].startswith("piper"),
    "espeak voices": lambda r: r["voice"].startswith("espeak"),
    "flite voices": lambda r: r["voice"].startswith("flite"),
    "telephone line": lambda r: r["channel"] == "telephone",
    "no line": lambda r: r["channel"] is None,
    "reverberant room": lambda r: r["reverb_rt60"] is not None,
    "SNR < 15 dB": lambda r: r["snr_db"] < 15,
    "SNR >= 15 dB": lambda r: r["snr_db"] >= 15,
}
name, scales = sys.argv[1], [float(g) for g in sys.argv[2].split(",")]
model = ASRModel.from_pretrained(name)
hyps = {}
for scale in scales:
    with model.decoding(guidance_scale=scale):
        hyps[scale] = model.transcribe(audio)
print(f"{'clips':18} {'n':>3} " + " ".join(f"G={g:<5}" for g in scales))
for group, member in groups.items():
    idx = [i for i, r in enumerate(records) if member(r)]
    wers = [word_error_rate([records[i]["text"] for i in idx], [hyps[g][i] for i in idx]) for g in scales]
    print(f"{group:18} {len(idx):3} " + " ".join(f"{w:7.1%}" for w in wers))
