# What the LLM writes if each slot were snapped onto the LLM's vocabulary (LegoSLM-style soft
# embeddings from the CTC posteriors, blank -> the learned filler): a measurement of how much of
# the gap is the projector's acoustic accuracy, not a shipped component.
from lib import *
import sys
m = load_model(); table = m.text_decoder.get_input_embeddings().weight.detach()
target_norm = float(table.pow(2).mean().sqrt()) * table.shape[1] ** 0.5
filler = torch.load("/work/exp/runs_alignC.pt", weights_only=False)["filler"]
va = FeatureCache("/work/data/val/features-pad5s"); lv = FeatureCache("/work/data/librivox-features-pad5s")
ck = torch.load(sys.argv[1], weights_only=False)
m.audio_projector.load_state_dict(ck["projector"])
head = CTCHead(table, ck["vocab"]); head.load_state_dict(ck["head"])
rows = torch.cat([filler[None], table[head.vocab_ids] * (target_norm / table[head.vocab_ids].norm(dim=-1, keepdim=True))])
for feats, idx, name in ((va, list(range(40)), "val"), (lv, list(range(5)), "librivox")):
    with torch.no_grad():
        x, n_tok, texts = frames_batch(feats, idx)
        for temp in (1.0, 0.0):
            lp = head(m.audio_projector(x))
            p = lp.exp() if temp else F.one_hot(lp.argmax(-1), lp.shape[-1]).float()
            snapped = p @ rows
            secs = [len(feats[i][0]) / 50 for i in idx]; hyps = []
            for s in range(0, len(idx), 8):
                hyps += [g.text for *_, g in m._write([snapped[j][: n_tok[j]] for j in range(s, min(s + 8, len(idx)))], secs[s:s+8])]
            cw, _ = ctc_readout(m, head, feats, idx)
            print(name, "soft" if temp else "hard", "llm", round(word_error_rate(texts, hyps), 3), "readout", round(cw, 3), hyps[:2], flush=True)
