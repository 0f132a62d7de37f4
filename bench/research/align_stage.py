# Stage 1b: learn a filler vector v from text, Viterbi-align the CTC model, regress slots to (token emb | v).
from lib import *
import argparse, random
p = argparse.ArgumentParser()
p.add_argument("init"); p.add_argument("out")
p.add_argument("--v-steps", type=int, default=200); p.add_argument("--reg-steps", type=int, default=600)
p.add_argument("--reg-lr", type=float, default=2e-3)
p.add_argument("--filler-from", help="reuse the filler v of an earlier align_stage checkpoint (skips step 1)")
a = p.parse_args()
m = load_model(); tok = m.tokenizer; llm = m.text_decoder
emb = llm.get_input_embeddings()
tr = FeatureCache("/work/data/train6k/features-pad5s"); va = FeatureCache("/work/data/val/features-pad5s")
lv = FeatureCache("/work/data/librivox-features-pad5s")
ck = torch.load(a.init, weights_only=False)
m.audio_projector.load_state_dict(ck["projector"])
head = CTCHead(emb.weight, ck["vocab"]); head.load_state_dict(ck["head"])
table = emb.weight.detach()
rms = float(table.pow(2).mean().sqrt()); dim = table.shape[1]
target_norm = rms * dim ** 0.5  # the norm the projector's output has at init (RMS gain * sqrt(D))

# --- 1. v: a filler the frozen LLM ignores, learned from text alone
from tiny_audio.decoder import build_prompt
v = torch.nn.Parameter(table.float().mean(0).clone())
opt = torch.optim.Adam([v], lr=1e-2)
texts = [it["text"] for it in tr.items]
rng = random.Random(0)
t0 = time.time()
def slots_for(ids, filler):
    rows = []
    for t in ids:
        rows.append(table[t])
        for _ in range(rng.randint(0, 3)): rows.append(filler)
    return torch.stack(rows)
for step in range(0 if a.filler_from else a.v_steps):
    batch_texts = rng.sample(texts, 8)
    fv = v * (target_norm / v.norm())
    examples = []
    embeds_list, labels_list = [], []
    for t in batch_texts:
        ids = tok(" " + t, add_special_tokens=False)["input_ids"]
        audio = slots_for(ids, fv)
        pid, amask = build_prompt(tok, len(audio), m.config.prompt)
        target = tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        full = torch.cat([pid, torch.tensor(target)])
        mask = torch.cat([amask, torch.zeros(len(target), dtype=torch.bool)])
        e = emb(full.masked_fill(mask, 0)).detach().clone()
        e[mask] = audio.to(e.dtype)
        lab = torch.full((len(full),), -100); lab[len(pid):] = torch.tensor(target)
        embeds_list.append(e); labels_list.append(lab)
    L = max(len(e) for e in embeds_list)
    E = torch.zeros(8, L, dim); LAB = torch.full((8, L), -100); AM = torch.zeros(8, L, dtype=torch.long)
    for i, (e, l) in enumerate(zip(embeds_list, labels_list)):
        E[i, :len(e)] = e; LAB[i, :len(l)] = l; AM[i, :len(e)] = 1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = llm(inputs_embeds=E, attention_mask=AM, labels=LAB).loss
    loss.backward(); opt.step(); opt.zero_grad()
    if (step + 1) % 50 == 0: print("v", step + 1, round(loss.item(), 3), round(time.time() - t0), flush=True)
filler = (v * (target_norm / v.norm())).detach()
if a.filler_from:
    filler = torch.load(a.filler_from, weights_only=False)["filler"]

# --- 2. Viterbi alignment of every training clip through the CTC model
t0 = time.time()
alignments = []
with torch.no_grad():
    for s0 in range(0, len(tr), 64):
        idx = list(range(s0, min(len(tr), s0 + 64)))
        x, n_tok, tx = frames_batch(tr, idx)
        lp = head(m.audio_projector(x)).numpy()
        for row, n, t in zip(lp, n_tok, tx):
            cls = [head.index[i] for i in tok(" " + t, add_special_tokens=False)["input_ids"] if i in head.index]
            n = int(n)
            if len(cls) * 2 + 1 > 2 * n + 5 or len(cls) > n:  # too many tokens for the slots
                alignments.append(None); continue
            alignments.append(viterbi(row[:n], cls))
print("aligned", len(alignments), "in", round(time.time() - t0), "s; failed", sum(x is None for x in alignments), flush=True)
blank_share = np.mean([c == 0 for al in alignments if al for c in al]); print("filler share", round(blank_share, 3))

# --- 3. regress each slot to its target: the aligned token's embedding (at the projector's norm) or v
def targets_for(al):
    rows = []; prev = -1
    for c in al:
        if c == 0: rows.append(filler)
        else:
            tid = int(head.vocab_ids[c - 1]); e = table[tid]
            rows.append(e * (target_norm / e.norm()) if c != prev else filler)  # a repeated class: filler after its first slot
        prev = c
    return torch.stack(rows)
ok = [i for i, al in enumerate(alignments) if al]
opt = torch.optim.AdamW(m.audio_projector.parameters(), lr=a.reg_lr, weight_decay=0.01)
t0 = time.time()
for step in range(a.reg_steps):
    idx = [ok[(step * 32 + j) % len(ok)] for j in range(32)]
    x, n_tok, _ = frames_batch(tr, idx)
    out = m.audio_projector(x)
    loss = 0; cnt = 0
    for row, n, i in zip(out, n_tok, idx):
        tgt = targets_for(alignments[i])
        loss = loss + (1 - F.cosine_similarity(row[: len(tgt)], tgt, dim=-1)).sum(); cnt += len(tgt)
    loss = loss / cnt
    loss.backward(); opt.step(); opt.zero_grad()
    if (step + 1) % 100 == 0:
        print("reg", step + 1, "mean cos", round(1 - loss.item(), 3), round(time.time() - t0), flush=True)
wv, hv = llm_wer(m, va, list(range(40))); wl, hl = llm_wer(m, lv, list(range(5)))
log(f"{a.out}.log", stage="reg", val_wer=round(wv, 3), lv_wer=round(wl, 3), ex_val=hv[:3], ex_lv=hl[:2])
torch.save({"projector": m.audio_projector.state_dict(), "head": head.state_dict(), "vocab": ck["vocab"], "filler": filler,
            "alignments": alignments}, f"{a.out}.pt")
