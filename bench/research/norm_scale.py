"""How loud the audio slots are: the projector's output scaled by ALPHA at inference (its last
RMSNorm's gain times ALPHA; nothing trained), the LLM writing. Chosen on val40, confirmed on val50.
Usage:  python norm_scale.py MODEL SETS ALPHAS BEAMS    e.g. embedded val40 0.8,1,1.25 1
"""
import sys, time
import torch
from lib import *
from tiny_audio.evaluation import word_error_rate
from eval_pieces_sets import sets

name, set_names = sys.argv[1], sys.argv[2].split(",")
alphas, beams = [float(a) for a in sys.argv[3].split(",")], int(sys.argv[4])
model = ASRModel.from_pretrained(name)
model.config.beams = beams
gain = model.audio_projector.ln_post.weight.data.clone()

for set_name in set_names:
    items = sets[set_name]()
    for alpha in alphas:
        t0 = time.time()
        model.audio_projector.ln_post.weight.data = gain * alpha
        hyps = model.transcribe([a for a, _ in items], batch_size=8)
        wer = word_error_rate([t for _, t in items], hyps)
        print(f"{name} {set_name:8} beams={beams} alpha={alpha}: WER {wer:6.1%} ({time.time() - t0:.0f} s) | {hyps[0]!r}", flush=True)
model.audio_projector.ln_post.weight.data = gain
