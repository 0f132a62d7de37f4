# Which slots break the LLM: the projector's word slots or its filler slots?
# For each checkpoint, align each val clip's transcript to the projector's slots (Viterbi through
# its CTC head), then let the LLM read: the projector everywhere; projector words + the learned
# filler v; true token embeddings + projector fillers; true embeddings + v.
from lib import *
import sys
m = load_model(); tok = m.tokenizer
table = m.text_decoder.get_input_embeddings().weight.detach()
target_norm = float(table.pow(2).mean().sqrt()) * table.shape[1] ** 0.5
va = FeatureCache("/work/data/val/features-pad5s")
filler = torch.load("/work/exp/runs_alignC.pt", weights_only=False)["filler"]
idx = list(range(40))
for path in sys.argv[1:]:
    ck = torch.load(path, weights_only=False)
    m.audio_projector.load_state_dict(ck["projector"])
    head = CTCHead(table, ck["vocab"]); head.load_state_dict(ck["head"])
    conds = {k: [] for k in ("projector", "proj words + v", "true words + proj fillers", "true words + v")}
    cosw, cosf = [], []
    with torch.no_grad():
        x, n_tok, texts = frames_batch(va, idx)
        out = m.audio_projector(x); lp = head(out)
        for o, l, n, t in zip(out, lp, n_tok, texts):
            n = int(n); o = o[:n]
            cls = [head.index[i] for i in tok(" " + t, add_special_tokens=False)["input_ids"] if i in head.index]
            al = viterbi(l[:n].numpy(), cls); prev = -1
            word = torch.tensor([c != 0 and c != prev for c, prev in zip(al, [-1] + al[:-1])])
            true = torch.stack([table[int(head.vocab_ids[c - 1])] * (target_norm / table[int(head.vocab_ids[c - 1])].norm()) if w else filler
                                for c, w in zip(al, word)])
            cosw += F.cosine_similarity(o[word], true[word], dim=-1).tolist()
            cosf += F.cosine_similarity(o[~word], filler[None], dim=-1).tolist()
            conds["projector"].append(o)
            conds["proj words + v"].append(torch.where(word[:, None], o, filler))
            conds["true words + proj fillers"].append(torch.where(word[:, None], true, o))
            conds["true words + v"].append(true)
        secs = [len(va[i][0]) / 50 for i in idx]
        res = {}
        for k, slots in conds.items():
            hyps = []
            for s in range(0, len(idx), 8):
                hyps += [g.text for *_, g in m._write(slots[s:s+8], secs[s:s+8])]
            res[k] = (round(word_error_rate(texts, hyps), 3), hyps[2])
    print(path, "cos word", round(np.mean(cosw), 3), "cos filler", round(np.mean(cosf), 3), "ref:", texts[2], flush=True)
    for k, v in res.items(): print("  ", k, v, flush=True)
