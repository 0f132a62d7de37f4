# Stage 1: CTC warm start of the projector against the LLM's embedding table.
from lib import *
import random
out = sys.argv[1]; steps = int(sys.argv[2]); bs = 32; lr = float(sys.argv[3]) if len(sys.argv) > 3 else 2e-3
m = load_model()
tr = FeatureCache("/work/data/train6k/features-pad5s"); va = FeatureCache("/work/data/val/features-pad5s")
tok = m.tokenizer
texts = [it["text"] for it in tr.items]
vocab = vocab_of(tok, texts)
table = m.text_decoder.get_input_embeddings().weight
head = CTCHead(table, vocab)
params = list(m.audio_projector.parameters()) + list(head.parameters())
opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1, s / steps)))))
g = torch.Generator().manual_seed(0)
order = torch.randperm(len(tr), generator=g).tolist()
val_idx = list(range(min(60, len(va))))
t0 = time.time()
for step in range(steps):
    idx = [order[(step * bs + j) % len(order)] for j in range(bs)]
    x, n_tok, tx = frames_batch(tr, idx)
    ids = [tok(" " + t, add_special_tokens=False)["input_ids"] for t in tx]
    loss = ctc_loss(head, m.audio_projector(x), n_tok, ids)
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step(); opt.zero_grad()
    if (step + 1) % 100 == 0 or step == steps - 1:
        w, h = ctc_readout(m, head, va, val_idx)
        log(f"{out}.log", step=step + 1, loss=round(loss.item(), 3), val_ctc_wer=round(w, 3), secs=round(time.time() - t0), ex=h[0])
torch.save({"projector": m.audio_projector.state_dict(), "head": head.state_dict(), "vocab": vocab}, f"{out}.pt")
