# Stage 1b': regress each slot of the CTC-aligned projector toward its target - the aligned token's
# embedding (word slots) or the filler v - weighting word slots, and measure word/filler cosine on
# held-out clips and what the LLM writes.
from lib import *
import argparse
p = argparse.ArgumentParser()
p.add_argument("init"); p.add_argument("aux"); p.add_argument("out")
p.add_argument("--steps", type=int, default=2000); p.add_argument("--lr", type=float, default=2e-3)
p.add_argument("--filler-weight", type=float, default=0.3); p.add_argument("--bs", type=int, default=32)
p.add_argument("--drop", type=float, default=0.0); p.add_argument("--eval-every", type=int, default=500)
p.add_argument("--wd", type=float, default=0.01)
a = p.parse_args()
m = load_model(); tok = m.tokenizer
table = m.text_decoder.get_input_embeddings().weight.detach()
target_norm = float(table.pow(2).mean().sqrt()) * table.shape[1] ** 0.5
tr = FeatureCache("/work/data/train6k/features-pad5s"); va = FeatureCache("/work/data/val/features-pad5s")
lv = FeatureCache("/work/data/librivox-features-pad5s")
ck = torch.load(a.init, weights_only=False); aux = torch.load(a.aux, weights_only=False)
m.audio_projector.load_state_dict(ck["projector"])
head = CTCHead(table, aux["vocab"]); head.load_state_dict(aux["head"])
filler = aux["filler"]; alignments = aux["alignments"]

def targets_for(al):  # -> (n, D) targets, (n,) bool word mask
    rows, word = [], []; prev = -1
    for c in al:
        w = c != 0 and c != prev; word.append(w)
        if w:
            e = table[int(head.vocab_ids[c - 1])]; rows.append(e * (target_norm / e.norm()))
        else: rows.append(filler)
        prev = c
    return torch.stack(rows), torch.tensor(word)

# held-out alignments through the warm-start CTC model (references used only to measure)
def align_set(feats, idxs):
    out = []
    with torch.no_grad():
        x, n_tok, texts = frames_batch(feats, idxs)
        lp = head(m.audio_projector(x)).numpy()
        for l, n, t in zip(lp, n_tok, texts):
            cls = [head.index[i] for i in tok(" " + t, add_special_tokens=False)["input_ids"] if i in head.index]
            out.append(viterbi(l[: int(n)], cls))
    return out
val_idx = list(range(40)); lv_idx = list(range(5))
val_al = align_set(va, val_idx)   # aligned with the initial projector (= the CTC model when init is ctcA)

def cos_stats(feats, idxs, als):
    with torch.no_grad():
        x, n_tok, _ = frames_batch(feats, idxs); out = m.audio_projector(x)
        cw, cf = [], []
        for o, al in zip(out, als):
            tgt, w = targets_for(al); c = F.cosine_similarity(o[: len(tgt)], tgt, dim=-1)
            cw += c[w].tolist(); cf += c[~w].tolist()
    return round(float(np.mean(cw)), 3), round(float(np.mean(cf)), 3)

ok = [i for i, al in enumerate(alignments) if al]
order = [ok[i] for i in torch.randperm(len(ok), generator=torch.Generator().manual_seed(3)).tolist()]
opt = torch.optim.AdamW(m.audio_projector.parameters(), lr=a.lr, weight_decay=a.wd)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / 50) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1, s / a.steps)))))
log(f"{a.out}.log", step=0, val_cos=cos_stats(va, val_idx, val_al))
t0 = time.time(); run = []
for step in range(a.steps):
    idx = [order[(step * a.bs + j) % len(order)] for j in range(a.bs)]
    x, n_tok, _ = frames_batch(tr, idx)
    if a.drop: x = F.dropout(x, a.drop)
    out = m.audio_projector(x)
    lw = lf = 0; nw = nf = 0
    for row, i in zip(out, idx):
        tgt, w = targets_for(alignments[i]); d = 1 - F.cosine_similarity(row[: len(tgt)], tgt, dim=-1)
        lw = lw + d[w].sum(); nw += int(w.sum()); lf = lf + d[~w].sum(); nf += int((~w).sum())
    loss = lw / nw + a.filler_weight * lf / nf
    loss.backward(); opt.step(); sched.step(); opt.zero_grad(); run.append(1 - (lw / nw).item())
    if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
        log(f"{a.out}.log", step=step + 1, train_word_cos=round(float(np.mean(run[-100:])), 3), val_cos=cos_stats(va, val_idx, val_al), sec=round(time.time() - t0))
wv, hv = llm_wer(m, va, val_idx); wl, hl = llm_wer(m, lv, lv_idx)
log(f"{a.out}.log", stage="llm", val_wer=round(wv, 3), lv_wer=round(wl, 3), ex_val=hv[:3], ex_lv=hl[:3])
torch.save({"projector": m.audio_projector.state_dict(), "head": aux["head"], "vocab": aux["vocab"], "filler": filler, "alignments": alignments}, f"{a.out}.pt")
