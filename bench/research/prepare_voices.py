"""`tiny-audio prepare-data` with some voices left out or only some kept: a training folder
without a speaker, and a held-out folder of that speaker alone (an unseen voice to judge on).
Usage: python prepare_voices.py OUT N SPLIT SEED ENGINE[=W],... (--without NAME,... | --only NAME,...)
A voice is left out when any part of its name (a kokoro blend "a+b" has two) is in --without;
--only keeps the voices whose whole name is listed.
--random-blends N: kokoro speaks in N new voices instead of its packs and even blends, each a random
convex blend (Dirichlet(1) weights, --blend-seed) of the packs left after --without: more distinct
speakers than the 15 the package has.
e.g. python prepare_voices.py /work/e2e/datak 2000 train 31 kokoro --without jf_gongitsune
     python prepare_voices.py /work/data/vgong 60 test 99 kokoro --only jf_gongitsune
     python prepare_voices.py /work/e2e/datak2 2000 train 43 kokoro --without jf_gongitsune --random-blends 40"""
import argparse, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_audio.cli import _engine_weights
from tiny_audio.data import synth

p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("n", type=int); p.add_argument("split"); p.add_argument("seed", type=int)
p.add_argument("engines"); p.add_argument("--without", default=""); p.add_argument("--only", default="")
p.add_argument("--random-blends", type=int, default=0); p.add_argument("--blend-seed", type=int, default=0)
a = p.parse_args()
voices = synth.available_voices()
if a.without:
    drop = set(a.without.split(","))
    voices = [v for v in voices if not drop & set(v.name.split("+"))]
if a.only:
    voices = [v for v in voices if v.name in a.only.split(",")]
if a.random_blends:
    packs = synth._kokoro_packs()
    kept = [name for name in sorted(packs) if name not in set(a.without.split(","))]
    weights = np.random.default_rng(a.blend_seed).dirichlet(np.ones(len(kept)), size=a.random_blends)
    blends = {f"mix{i:02d}": sum(w * packs[name] for w, name in zip(row, kept)) for i, row in enumerate(weights)}
    synth._kokoro_packs = lambda: {**packs, **blends}
    for name, row in zip(blends, weights):
        print(name, " ".join(f"{n}={w:.2f}" for n, w in zip(kept, row)))
    kokoro_rate = next(v.sample_rate for v in voices if v.engine == "kokoro")
    voices = [v for v in voices if v.engine != "kokoro"] + [synth.Voice("kokoro", name, kokoro_rate) for name in blends]
print("voices:", ", ".join(v.id for v in voices if v.engine in _engine_weights(a.engines)))
synth.available_voices = lambda: voices
out = synth.prepare_dataset(Path(a.out), a.n, split=a.split, seed=a.seed, engine_weights=_engine_weights(a.engines))
print(out, sum(r["seconds"] for r in synth.read_manifest(out)) / 60, "min")
