# Stage 2: the LLM's next-token loss (+ ctc_weight x CTC) from a CTC warm start.
from lib import *
import argparse
p = argparse.ArgumentParser()
p.add_argument("init"); p.add_argument("out")
p.add_argument("--steps", type=int, default=300); p.add_argument("--lr", type=float, default=5e-4)
p.add_argument("--ctc", type=float, default=0.3); p.add_argument("--bs", type=int, default=8)
p.add_argument("--eval-every", type=int, default=100); p.add_argument("--warmup", type=int, default=20)
p.add_argument("--train-head", type=int, default=1)
p.add_argument("--reg", type=float, default=0.0); p.add_argument("--aux")
p.add_argument("--bf16-llm", type=int, default=0); p.add_argument("--max-minutes", type=float, default=1e9)
p.add_argument("--no-eval0", action="store_true"); p.add_argument("--seed", type=int, default=1)
p.add_argument("--train", default="train6k")  # comma-separated data folders under /work/data
p.add_argument("--concat", type=float, default=0.0)  # probability that an example is joined with 1-2 other clips (longer speech)
p.add_argument("--aug", action="store_true")  # random stacking phase + 10% feature dropout (no time masks: they would teach the LLM to invent words)
a = p.parse_args()
m = load_model()
caches = [FeatureCache(f"/work/data/{n}/features-pad5s") for n in a.train.split(",")]
class Joined:
    def __init__(self, cs): self.cs = cs; self.n = [len(c) for c in cs]
    def __len__(self): return sum(self.n)
    def __getitem__(self, i):
        for c, n in zip(self.cs, self.n):
            if i < n: return c[i]
            i -= n
        raise IndexError(i)
tr = Joined(caches); va = FeatureCache("/work/data/val/features-pad5s")
lv = FeatureCache("/work/data/librivox-features-pad5s"); vl = FeatureCache("/work/data/val-long/features-pad5s")
ck = torch.load(a.init, weights_only=False)
m.audio_projector.load_state_dict(ck["projector"])
tok = m.tokenizer
if a.bf16_llm: m.text_decoder.to(torch.bfloat16)  # frozen: keep its weights in bf16 instead of casting every step
head = CTCHead(m.text_decoder.get_input_embeddings().weight, ck["vocab"]); head.load_state_dict(ck["head"])
params = list(m.audio_projector.parameters()) + (list(head.parameters()) if a.train_head else [])
opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1, s / a.steps)))))
order = torch.randperm(len(tr), generator=torch.Generator().manual_seed(a.seed)).tolist()
aux = torch.load(a.aux, weights_only=False) if a.aux else ck
alignments = aux.get("alignments"); filler = aux.get("filler")
if a.reg > 0:
    order = [i for i in order if alignments[i]]
    table = m.text_decoder.get_input_embeddings().weight.detach()
    target_norm = float(table.pow(2).mean().sqrt()) * table.shape[1] ** 0.5
    def targets_for(al):
        rows = []; prev = -1
        for c in al:
            if c == 0 or c == prev: rows.append(filler)
            else:
                e = table[int(head.vocab_ids[c - 1])]; rows.append(e * (target_norm / e.norm()))
            prev = c
        return torch.stack(rows)
val_idx = list(range(40)); llm = m.text_decoder
def evaluate(step, loss):
    m.audio_projector.eval()
    wv, hv = llm_wer(m, va, val_idx); wl, hl = llm_wer(m, lv, list(range(5))); wlong, _ = llm_wer(m, vl, list(range(20)))
    cw, _ = ctc_readout(m, head, va, val_idx)
    log(f"{a.out}.log", step=step, loss=loss, val_wer=round(wv, 3), lv_wer=round(wl, 3), val_long_wer=round(wlong, 3), val_ctc=round(cw, 3), ex_val=hv[0], ex_lv=hl[1])
    m.audio_projector.train()
if not a.no_eval0: evaluate(0, None)
t0 = time.time(); run = []
for step in range(a.steps):
    idx = [order[(step * a.bs + j) % len(order)] for j in range(a.bs)]
    ex = [tr[i] for i in idx]
    if a.concat > 0:
        gc = torch.Generator().manual_seed(a.seed * 7_000_003 + step)
        joined = []
        for f, t in ex:
            if float(torch.rand((), generator=gc)) < a.concat:
                for j in torch.randint(0, len(tr), (int(torch.randint(1, 3, (), generator=gc)),), generator=gc).tolist():
                    f2, t2 = tr[j]; f = torch.cat([f, f2]); t = t + " " + t2
            joined.append((f, t))
        ex = joined
    if a.aug:
        g = torch.Generator().manual_seed(a.seed * 1_000_003 + step)
        def perturb(f):
            f = f[int(torch.randint(0, 5, (), generator=g)):]
            return f * (torch.rand(f.shape, generator=g) >= 0.1) / 0.9
        ex = [(perturb(f), t) for f, t in ex]
    batch = make_batch(ex, tok, m.config.prompt, 5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        proj = m.audio_projector(batch.frames)
        used = torch.arange(proj.shape[1]) < batch.n_audio_tokens[:, None]
        embeds = merge_audio(llm.get_input_embeddings(), batch.input_ids, batch.audio_mask, proj[used])
        first = int((batch.labels != IGNORE_INDEX).int().argmax(-1).min()) - 1
        logits = llm(inputs_embeds=embeds, attention_mask=batch.attention_mask, logits_to_keep=batch.labels.shape[1] - first).logits
        lm = F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), batch.labels[:, first + 1:].flatten(), ignore_index=IGNORE_INDEX)
    loss = lm
    if a.ctc > 0:
        ids = [tok(" " + t, add_special_tokens=False)["input_ids"] for _, t in ex]
        loss = lm + a.ctc * ctc_loss(head, proj.float(), batch.n_audio_tokens, ids)
    if a.reg > 0:
        rl = 0; cnt = 0
        for row, i in zip(proj.float(), idx):
            tgt = targets_for(alignments[i]); rl = rl + (1 - F.cosine_similarity(row[: len(tgt)], tgt, dim=-1)).sum(); cnt += len(tgt)
        loss = loss + a.reg * rl / cnt
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step(); opt.zero_grad()
    run.append(lm.item())
    if (step + 1) % 25 == 0:
        print(step + 1, round(sum(run[-25:]) / 25, 3), round(time.time() - t0), flush=True)
    if time.time() - t0 > a.max_minutes * 60:
        evaluate(step + 1, round(sum(run[-50:]) / len(run[-50:]), 3)); torch.save({"projector": m.audio_projector.state_dict(), "head": head.state_dict(), "vocab": ck["vocab"]}, f"{a.out}.pt"); break
    if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
        evaluate(step + 1, round(sum(run[-50:]) / len(run[-50:]), 3))
        torch.save({"projector": m.audio_projector.state_dict(), "head": head.state_dict(), "vocab": ck["vocab"]}, f"{a.out}.pt")
