import json, math, time, sys, os
import numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel
from tiny_audio.data.features import FeatureCache
from tiny_audio.decoder import build_prompt, merge_audio, generate
from tiny_audio.evaluation import word_error_rate, normalize
from tiny_audio.training import make_batch, IGNORE_INDEX
from tiny_audio.projector import output_length

torch.set_num_threads(2)

def load_model(pad=5):
    m = ASRModel.from_pretrained("embedded", device="cpu", fresh_projector=True)
    m.config.encoder_padding_seconds = pad
    return m

def log(path, **kw):
    kw["time"] = time.strftime("%H:%M:%S")
    print(json.dumps(kw), flush=True)
    with open(path, "a") as f: f.write(json.dumps(kw) + "\n")

class CTCHead(torch.nn.Module):
    """Scores each projector output against the LLM's embedding table (a subset of ids) plus a blank vector."""
    def __init__(self, table, vocab_ids, blank_init=None):
        super().__init__()
        self.register_buffer("vocab_ids", torch.tensor(vocab_ids))
        self.register_buffer("table", table[self.vocab_ids].detach().clone().float())
        b = table.float().mean(0) if blank_init is None else blank_init
        self.blank = torch.nn.Parameter(b.clone())
        self.log_scale = torch.nn.Parameter(torch.tensor(math.log(10.0)))
        self.index = {int(t): i + 1 for i, t in enumerate(vocab_ids)}
    def forward(self, out):  # (B,T,D) -> (B,T,1+V) log-probs
        w = torch.cat([self.blank[None], self.table], 0)
        return (self.log_scale.exp() * (out.float() @ w.T)).log_softmax(-1)

def vocab_of(tokenizer, texts):
    ids = set()
    for t in texts: ids.update(tokenizer(t, add_special_tokens=False)["input_ids"])
    return sorted(ids)

def ctc_loss(head, projected, n_tokens, token_lists):
    lp = head(projected)  # B,T,V+1
    targets = [torch.tensor([head.index[t] for t in ids if t in head.index]) for ids in token_lists]
    tl = torch.tensor([len(t) for t in targets])
    return F.ctc_loss(lp.transpose(0, 1), torch.cat(targets), n_tokens, tl, blank=0, zero_infinity=True)

def frames_batch(feats, idx):
    ex = [feats[i] for i in idx]
    T = max(len(f) for f, _ in ex)
    x = torch.zeros(len(ex), T, ex[0][0].shape[-1])
    for j, (f, _) in enumerate(ex): x[j, :len(f)] = f
    n_tok = torch.tensor([output_length(len(f), 5) for f, _ in ex])
    return x, n_tok, [t for _, t in ex]

@torch.no_grad()
def ctc_readout(model, head, feats, idxs):
    hyps, refs = [], []
    for s in range(0, len(idxs), 16):
        x, n_tok, texts = frames_batch(feats, idxs[s:s+16])
        lp = head(model.audio_projector(x))
        for row, n, t in zip(lp.argmax(-1), n_tok, texts):
            row = row[:n].tolist(); out = []; prev = -1
            for c in row:
                if c != prev and c != 0: out.append(int(head.vocab_ids[c - 1]))
                prev = c
            hyps.append(model.tokenizer.decode(out)); refs.append(t)
    return word_error_rate(refs, hyps), hyps

@torch.no_grad()
def llm_wer(model, feats, idxs, bs=8):
    hyps, refs = [], []
    for s in range(0, len(idxs), bs):
        x, n_tok, texts = frames_batch(feats, idxs[s:s+bs])
        proj = model.audio_projector(x)
        audio = [p[:n] for p, n in zip(proj, n_tok)]
        secs = [len(feats[i][0]) / 50 for i in idxs[s:s+bs]]
        out = model._write(audio, secs)
        hyps += [g.text for *_, g in out]; refs += texts
    return word_error_rate(refs, hyps), hyps


def viterbi(lp, classes):  # lp (T, C) log-probs; classes (S,) -> per-slot class (0 = blank)
    S = len(classes); ext = [0] * (2 * S + 1); ext[1::2] = classes
    T = lp.shape[0]; N = len(ext)
    NEG = -1e30
    score = np.full(N, NEG); score[0] = lp[0, 0]
    if N > 1: score[1] = lp[0, ext[1]]
    back = np.zeros((T, N), dtype=np.int64)
    ext_a = np.array(ext)
    can_skip = np.zeros(N, dtype=bool)
    for s in range(2, N):
        can_skip[s] = ext[s] != 0 and ext[s] != ext[s - 2]
    for t in range(1, T):
        stay = score
        prev1 = np.concatenate([[NEG], score[:-1]])
        prev2 = np.where(can_skip, np.concatenate([[NEG, NEG], score[:-2]]), NEG)
        cand = np.stack([stay, prev1, prev2])
        arg = cand.argmax(0); best = cand.max(0)
        back[t] = arg
        score = best + lp[t, ext_a]
    s = N - 1 if N == 1 or score[N - 1] >= score[N - 2] else N - 2
    path = []
    for t in range(T - 1, -1, -1):
        path.append(ext[s]); s -= back[t, s]
    return path[::-1]
