"""The sets eval_pieces.py and min_length.py score on."""
import numpy as np, soundfile as sf
from tiny_audio import librivox_items, synthetic_items, read_manifest
from tiny_audio.data.synth import telephone
val = "/work/data/val"; recs = read_manifest(val)
def audio(r): return sf.read(f"{val}/{r['path']}", dtype="float32")[0]
def joined(gap):
    items = []
    for g in range(20):
        rs = recs[60 + 3 * g: 63 + 3 * g]
        parts = []
        for r in rs: parts += [audio(r), np.zeros(int(gap * 16000), np.float32)]
        items.append((np.concatenate(parts[:-1] if gap else parts), " ".join(r["text"] for r in rs)))
    return items
sets = {"val40": lambda: [(audio(r), r["text"]) for r in recs[:40]],
        "val50": lambda: [(audio(r), r["text"]) for r in recs[40:60] + recs[120:150]],  # the held-out clips no other set uses
        "vlong0": lambda: joined(0.0), "vlong03": lambda: joined(0.3),
        "librivox": lambda: [(a, t) for _, a, t in librivox_items()],
        "synth60": lambda: [(a, t) for _, a, t in synthetic_items("test")]}
# the 70 clips of val40 + val50 that prepare-data did not send through a telephone line, sent through one
# now: the same speech with and without the line, to see what the line costs and what helps there
# (at prepare-data's level: the line's 8 bits are applied at a 0.7 peak, then the clip's own level is put back)
def phone(a): return telephone(a * (0.7 / np.abs(a).max())) * (np.abs(a).max() / 0.7)
sets["vphone"] = lambda: [(phone(audio(r)), r["text"]) for r in recs[:60] + recs[120:150] if r["channel"] is None]
sets["vphone-clean"] = lambda: [(audio(r), r["text"]) for r in recs[:60] + recs[120:150] if r["channel"] is None]
sets["librivox-phone"] = lambda: [(phone(a), t) for _, a, t in librivox_items()]
# unseen speakers: the first 60 held-out sentences (val's own) read by Kokoro's voices, which no
# training folder made before 2026-12-07 has (tiny-audio prepare-data /work/data/vkokoro --n 60 --split test
# --seed 99 --engines kokoro); "val60" is the same 60 sentences in val's voices, for the paired comparison
def folder(path): return lambda: [(sf.read(f"{path}/{r['path']}", dtype="float32")[0], r["text"]) for r in read_manifest(path)]
sets["vkokoro"] = folder("/work/data/vkokoro")
sets["val60"] = lambda: [(audio(r), r["text"]) for r in recs[:60]]
# one Kokoro voice no training folder has (datak leaves it out): the same 60 sentences read by jf_gongitsune alone
# (python prepare_voices.py /work/data/vgong 60 test 99 kokoro --only jf_gongitsune)
sets["vgong"] = folder("/work/data/vgong")
# real human speech of other speakers: 22 clips (164 words) from four PyPI sdists' test data, a Shakespeare
# sonnet line by line, J. F. Kennedy, a CMU ARCTIC prompt, pocketsphinx's cards (python real_speech.py DIR /work/data/real)
sets["real"] = folder("/work/data/real")
# twelve short phrases of six more real speakers: praatio's, parselmouth's north wind, speaker-test's channel
# names (python real_speech.py DIR /work/data/real2 --more)
sets["real2"] = folder("/work/data/real2")
# the real speech of both sent through the telephone line (as vphone does to the held-out clips)
sets["real-phone"] = lambda: [(phone(a), t) for a, t in sets["real"]() + sets["real2"]()]
