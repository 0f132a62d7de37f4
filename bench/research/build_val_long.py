# 20 longer held-out clips: val clips 60..119 joined three at a time (0.3 s of silence between),
# encoded whole (pad 5 s) -- the real test of reading speech longer than the training clips.
from lib import *
import soundfile as sf
from tiny_audio.synth import read_manifest
m = load_model()
d = "/work/data/val"; recs = read_manifest(d)
items = []
for g in range(20):
    parts, texts = [], []
    for r in recs[60 + 3 * g: 63 + 3 * g]:
        a, sr = sf.read(f"{d}/{r['path']}", dtype="float32"); assert sr == 16000
        parts += [a, np.zeros(4800, np.float32)]; texts.append(r["text"])
    items.append((np.concatenate(parts[:-1]), " ".join(texts)))
print("mean seconds", np.mean([len(a) / 16000 for a, _ in items]))
FeatureCache.build(m, items, "/work/data/val-long/features-pad5s")
