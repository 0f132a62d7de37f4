# LLM WER of research checkpoints on held-out sets: python eval_ckpt.py CKPT [CKPT ...] --sets val-long,val,librivox
from lib import *
import argparse
p = argparse.ArgumentParser(); p.add_argument("ckpts", nargs="+"); p.add_argument("--sets", default="val-long"); p.add_argument("--n", type=int, default=40); p.add_argument("--show", type=int, default=2)
p.add_argument("--no-repeat", type=int, default=0)  # greedy decoding that never repeats an n-gram of this size
a = p.parse_args()
if a.no_repeat:
    import functools, tiny_audio.decoder as dec
    dec.GenerationConfig = functools.partial(dec.GenerationConfig, no_repeat_ngram_size=a.no_repeat)
m = load_model()
for ck in a.ckpts:
    m.audio_projector.load_state_dict(torch.load(ck, weights_only=False)["projector"]); m.audio_projector.eval()
    for name in a.sets.split(","):
        fc = FeatureCache(f"/work/data/{name}-features-pad5s" if name == "librivox" else f"/work/data/{name}/features-pad5s")
        idx = list(range(min(a.n, len(fc))))
        w, hyps = llm_wer(m, fc, idx)
        cut = [h.split("\n")[0].strip() for h in hyps]  # what stopping at the first line break would write
        w_cut = word_error_rate([fc[i][1] for i in idx], cut)
        long_hyps = sum(len(h.split()) > 2 * len(fc[i][1].split()) for h, i in zip(hyps, idx))
        print(json.dumps({"ckpt": ck, "set": name, "n": len(idx), "wer": round(w, 3), "wer_first_line": round(w_cut, 3), "hyps_over_2x_words": long_hyps, "ex": hyps[:a.show], "ref": [fc[i][1] for i in idx[:a.show]]}), flush=True)
