# Stage 1: CTC warm start of the projector against the LLM's embedding table.
from lib import *
import random
import argparse
p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("steps", type=int); p.add_argument("lr", type=float, nargs="?", default=2e-3)
p.add_argument("--shift", action="store_true", help="drop 0-4 leading frames: a random stacking phase per example")
p.add_argument("--mask", type=int, default=0, help="time masks per example (each up to 10 frames, zeroed)")
p.add_argument("--drop", type=float, default=0.0, help="dropout on the encoder features")
p.add_argument("--wd", type=float, default=0.01)
a = p.parse_args()
out, steps, lr, bs = a.out, a.steps, a.lr, 32
rng = random.Random(0)

def augment(example):  # (frames (T, D), text) -> the same, with the frames perturbed
    f, t = example
    if a.shift:
        f = f[rng.randint(0, min(4, len(f) - 1)):]
    if a.mask:
        f = f.clone()
        for _ in range(a.mask):
            w = rng.randint(0, 10); s0 = rng.randint(0, max(0, len(f) - w)); f[s0:s0 + w] = 0
    return f, t

class Augmented:
    def __init__(self, feats): self.feats = feats
    def __len__(self): return len(self.feats)
    def __getitem__(self, i): return augment(self.feats[i])
m = load_model()
tr = FeatureCache("/work/data/train6k/features-pad5s"); va = FeatureCache("/work/data/val/features-pad5s")
tok = m.tokenizer
texts = [it["text"] for it in tr.items]
vocab = vocab_of(tok, texts)
table = m.text_decoder.get_input_embeddings().weight
head = CTCHead(table, vocab)
params = list(m.audio_projector.parameters()) + list(head.parameters())
opt = torch.optim.AdamW(params, lr=lr, weight_decay=a.wd)
lv = FeatureCache("/work/data/librivox-features-pad5s")
train_view = Augmented(tr)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1, s / steps)))))
g = torch.Generator().manual_seed(0)
order = torch.randperm(len(tr), generator=g).tolist()
val_idx = list(range(min(60, len(va))))
t0 = time.time()
for step in range(steps):
    idx = [order[(step * bs + j) % len(order)] for j in range(bs)]
    x, n_tok, tx = frames_batch(train_view, idx)
    if a.drop: x = F.dropout(x, a.drop)
    ids = [tok(" " + t, add_special_tokens=False)["input_ids"] for t in tx]
    loss = ctc_loss(head, m.audio_projector(x), n_tok, ids)
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step(); opt.zero_grad()
    if (step + 1) % 100 == 0 or step == steps - 1:
        w, h = ctc_readout(m, head, va, val_idx); wl, _ = ctc_readout(m, head, lv, list(range(5)))
        log(f"{out}.log", step=step + 1, loss=round(loss.item(), 3), val_ctc_wer=round(w, 3), lv_ctc_wer=round(wl, 3), secs=round(time.time() - t0), ex=h[0])
torch.save({"projector": m.audio_projector.state_dict(), "head": head.state_dict(), "vocab": vocab}, f"{out}.pt")
