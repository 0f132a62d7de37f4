"""The package's recipe (tiny_audio.training.train, frames augmented) from a random projector on one
or several prepared datasets, measured as it goes on our own held-out clips (/work/data/val) and
LibriVox every EVAL steps: in the CTC stage the greedy CTC readout's WER (60 clips), in the LLM
stage the LLM's transcript (40 clips). Usage:
  python recipe.py OUT CTC_STEPS LLM_STEPS DATA[,DATA...] [--start RUN] [--lr LR] [--eval N] [--join P] [--k K]
                   [--ctc-weight W] [--batch B] [--shipped]
e.g. python recipe.py runs_ctc18k 3000 0 /work/data/train6k,/work/data/train6kb,/work/e2e/data
--start RUN continues from RUN/checkpoint.pt (copied into OUT when OUT has none); --shipped starts
from the embedded preset's shipped projector instead of a random one (with CTC_STEPS 0: fine-tuning).
"""
import argparse, json, shutil, time
from pathlib import Path
import torch, transformers
transformers.logging.set_verbosity_error()
from tiny_audio import ASRModel, word_error_rate
from tiny_audio.data.features import FeatureCache, JoinedFeatures
from tiny_audio.training import TrainConfig, train
from tiny_audio.projector import output_length

torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("ctc_steps", type=int); p.add_argument("llm_steps", type=int); p.add_argument("data")
p.add_argument("--start"); p.add_argument("--lr", type=float, default=TrainConfig.lr); p.add_argument("--eval", type=int, default=500)
p.add_argument("--join", type=float, default=TrainConfig.join_probability, help="join_probability of the LLM stage")
p.add_argument("--k", type=int, help="audio_downsample_rate of a new projector (default: the preset's)")
p.add_argument("--ctc-weight", type=float, default=TrainConfig.ctc_weight, help="weight of the CTC loss in the LLM stage")
p.add_argument("--batch", type=int, default=8, help="LLM-stage batch (8: every run here before batch 4 became the package's default)")
p.add_argument("--shipped", action="store_true", help="start from the shipped projector, not a random one")
a = p.parse_args()
out, folders, EVAL = a.out, a.data.split(","), a.eval
steps = a.ctc_steps + a.llm_steps
if a.start and not Path(out, "checkpoint.pt").exists():
    Path(out).mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(a.start, "checkpoint.pt"), Path(out, "checkpoint.pt"))


def cache_of(folder):  # both cache names that exist here
    for name in ("features-openai--whisper-base-pad5s", "features-pad5s"):
        if (Path(folder) / name).is_dir():
            return FeatureCache(Path(folder) / name)
    raise SystemExit(f"no pad-5 s feature cache in {folder}")


model = ASRModel.from_pretrained("embedded", device="cpu")
if a.k:
    model.config.audio_downsample_rate = a.k
if not a.shipped:
    model.audio_projector = model.new_projector()
features = JoinedFeatures([cache_of(f) for f in folders])
held_out = {"val": (FeatureCache("/work/data/val/features-pad5s"), range(60)),
            "librivox": (FeatureCache("/work/data/librivox-features-pad5s"), range(5))}
t0 = time.time()


def readout(state, model, head):
    if state.step % EVAL and state.step != steps:
        return
    row = {"step": state.step, "minutes": round((time.time() - t0) / 60, 1),
           "loss": round(sum(h["loss"] for h in state.history[-50:]) / 50, 3)}
    llm = state.step > a.ctc_steps
    model.audio_projector.eval()
    with torch.no_grad():
        for name, (cache, idx) in held_out.items():
            refs, hyps = [], []
            idx = list(idx)[:40] if llm else list(idx)
            for s in range(0, len(idx), 8):
                examples = [cache[i] for i in idx[s:s + 8]]
                slots = [model.audio_projector(f[None])[0, :output_length(len(f), model.config.audio_downsample_rate)]
                         for f, _ in examples]
                if llm:
                    hyps += [g.text for *_, g in model._write(slots, [len(f) / 50 for f, _ in examples])]
                else:
                    hyps += [model.tokenizer.decode(head.greedy_readout(x[None], [len(x)])[0]) for x in slots]
                refs += [t for _, t in examples]
            row[f"{'llm' if llm else 'ctc'}_{name}{len(idx)}"] = round(word_error_rate(refs, hyps), 3)
            row[name + "_example"] = hyps[0]
    model.audio_projector.train()
    print(json.dumps(row), flush=True)
    with open(f"{out}.log", "a") as f:
        f.write(json.dumps(row) + "\n")


train(model, features, TrainConfig(ctc_steps=a.ctc_steps, steps=a.llm_steps, batch_size=a.batch, lr=a.lr, eval_every=100, join_probability=a.join,
                                   ctc_weight=a.ctc_weight, checkpoint_every=100), out,
      eval_features=FeatureCache("/work/e2e/val/features-openai--whisper-base-pad5s"), callback=readout, progress=False)
