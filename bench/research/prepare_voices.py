"""`tiny-audio prepare-data` with some voices left out or only some kept: a training folder
without a speaker, and a held-out folder of that speaker alone (an unseen voice to judge on).
Usage: python prepare_voices.py OUT N SPLIT SEED ENGINE[=W],... (--without NAME,... | --only NAME,...)
A voice is left out when any part of its name (a kokoro blend "a+b" has two) is in --without;
--only keeps the voices whose whole name is listed.
e.g. python prepare_voices.py /work/e2e/datak 2000 train 31 kokoro --without jf_gongitsune
     python prepare_voices.py /work/data/vgong 60 test 99 kokoro --only jf_gongitsune"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_audio.cli import _engine_weights
from tiny_audio.data import synth

p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("n", type=int); p.add_argument("split"); p.add_argument("seed", type=int)
p.add_argument("engines"); p.add_argument("--without", default=""); p.add_argument("--only", default="")
a = p.parse_args()
voices = synth.available_voices()
if a.without:
    drop = set(a.without.split(","))
    voices = [v for v in voices if not drop & set(v.name.split("+"))]
if a.only:
    voices = [v for v in voices if v.name in a.only.split(",")]
print("voices:", ", ".join(v.id for v in voices if v.engine in _engine_weights(a.engines)))
synth.available_voices = lambda: voices
out = synth.prepare_dataset(Path(a.out), a.n, split=a.split, seed=a.seed, engine_weights=_engine_weights(a.engines))
print(out, sum(r["seconds"] for r in synth.read_manifest(out)) / 60, "min")
