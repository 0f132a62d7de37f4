# LLM WER of research checkpoints on held-out sets: python eval_ckpt.py CKPT [CKPT ...] --sets val-long,val,librivox
from lib import *
import argparse
p = argparse.ArgumentParser(); p.add_argument("ckpts", nargs="+"); p.add_argument("--sets", default="val-long"); p.add_argument("--n", type=int, default=40)
a = p.parse_args()
m = load_model()
for ck in a.ckpts:
    m.audio_projector.load_state_dict(torch.load(ck, weights_only=False)["projector"]); m.audio_projector.eval()
    for name in a.sets.split(","):
        fc = FeatureCache(f"/work/data/{name}-features-pad5s" if name == "librivox" else f"/work/data/{name}/features-pad5s")
        idx = list(range(min(a.n, len(fc))))
        w, hyps = llm_wer(m, fc, idx)
        long_hyps = sum(len(h.split()) > 2 * len(fc[i][1].split()) for h, i in zip(hyps, idx))
        print(json.dumps({"ckpt": ck, "set": name, "n": len(idx), "wer": round(w, 3), "hyps_over_2x_words": long_hyps, "ex": hyps[:2], "ref": [fc[i][1] for i in idx[:2]]}), flush=True)
