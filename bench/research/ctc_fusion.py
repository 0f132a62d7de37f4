"""Joint CTC / LLM decoding (hybrid CTC-attention decoding, Watanabe et al. 2017), shipped projector.

The LLM writes, as always, by beam search with guidance; at each step its top-K candidate
tokens are also scored by how well the transcript so far *plus that token* explains the audio
slots under CTC (the prefix score), and the beam keeps the best of
    LLM (guided) log-prob + LAMBDA * CTC prefix log-prob increment.
The CTC scores come from the projector's slots against the LLM's own embedding table.

HEAD says where the blank (slot between words) comes from:
  learned:RUN.pt  a blank vector + scale trained on the frozen projector (`fit` below)
  fixed:S:TAU     no trained part: score = S * slot . embedding, the blank scores S * TAU
Usage:
  python ctc_fusion.py fit DATA OUT.pt [STEPS]          train blank + scale on frozen shipped slots
  python ctc_fusion.py eval HEAD SETS LAMBDAS [VOCAB]   VOCAB: full (default) or a data folder's tokens
  python ctc_fusion.py readout HEAD SETS [VOCAB]         greedy CTC readout WER of that head
"""
import math, sys, time
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
import numpy as np, torch
from tiny_audio import ASRModel, word_error_rate, decoder, model as model_module
from tiny_audio.ctc import CTCHead, ctc_token_ids
from tiny_audio.data.features import FeatureCache
from tiny_audio.decoder import token_embeddings, stop_token_ids
from eval_pieces_sets import sets

torch.set_num_threads(2)
TOP_K = int(__import__("os").environ.get("TOPK", 12))  # the LLM candidates CTC scores per step


def load_head(spec, model, vocab):
    table = token_embeddings(model.text_decoder).detach().float()
    ids = list(range(len(table))) if vocab == "full" else sorted(
        {i for r in FeatureCache(f"{vocab}/features-openai--whisper-base-pad5s").items for i in ctc_token_ids(model.tokenizer, r["text"])})
    head = CTCHead(table, ids)
    kind, *args = spec.split(":")
    if kind == "learned":
        state = torch.load(args[0])
        head.blank.data, head.log_scale.data = state["blank"], state["log_scale"]
    else:  # a blank that is a fixed score, no trained vector: blank . slot == TAU for every slot
        scale, tau = float(args[0]), float(args[1])
        head.log_scale.data = torch.tensor(math.log(scale))
        head.fixed_tau = tau
        forward = head.forward
        def fixed_forward(slots):
            s = head.log_scale.exp() * (slots.float() @ head.table.T)  # (B, T, V)
            blank = torch.full_like(s[..., :1], scale * tau)
            return torch.cat([blank, s], -1).log_softmax(-1)
        head.forward = fixed_forward
    return head.eval()


def fit(data, out, steps=300):
    model = ASRModel.from_pretrained("embedded")
    cache = FeatureCache(f"{data}/features-openai--whisper-base-pad5s")
    head = CTCHead.for_transcripts(token_embeddings(model.text_decoder), model.tokenizer,
                                   (r["text"] for r in cache.items))
    opt = torch.optim.Adam([head.blank, head.log_scale], lr=1e-2)
    g = torch.Generator().manual_seed(0)
    k = model.config.audio_downsample_rate
    for step in range(steps):
        idx = torch.randint(0, len(cache), (32,), generator=g).tolist()
        ex = [cache[i] for i in idx]
        with torch.no_grad():
            slots = [model.audio_projector(f[None].float())[0] for f, _ in ex]
        T = max(len(s) for s in slots)
        batch = torch.zeros(len(ex), T, slots[0].shape[-1])
        for i, s in enumerate(slots): batch[i, : len(s)] = s
        labels = [torch.tensor(ctc_token_ids(model.tokenizer, t)) for _, t in ex]
        lab = torch.full((len(ex), max(len(l) for l in labels)), -100)
        for i, l in enumerate(labels): lab[i, : len(l)] = l
        loss = head.loss(batch, torch.tensor([len(s) for s in slots]), lab)
        opt.zero_grad(); loss.backward(); opt.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step} ctc {loss.item():.3f} scale {head.log_scale.exp().item():.2f}", flush=True)
    torch.save({"blank": head.blank.detach(), "log_scale": head.log_scale.detach()}, out)


class PrefixScorer:
    """CTC prefix scores for one clip's log-probs ``(T, 1 + V)`` (class 0 blank), by prefix."""

    def __init__(self, log_probs):
        self.x = log_probs.double().numpy()
        T = len(self.x)
        r_b = np.cumsum(self.x[:, 0])
        self.states = {(): (np.full(T, -np.inf), r_b, 0.0)}  # prefix -> (r_n, r_b, prefix score)

    def extend(self, prefix, classes):
        """Prefix scores of prefix + c for each class in ``classes`` (K,); stores their states."""
        r_n, r_b, _ = self.states[prefix]
        x, T, K = self.x, len(self.x), len(classes)
        c = np.asarray(classes)
        xc = x[:, c]  # (T, K)
        last = prefix[-1] if prefix else -1
        both = np.logaddexp(r_n, r_b)
        phi = np.where(c[None, :] == last, r_b[:, None], both[:, None])  # (T, K)
        new_n = np.full((T, K), -np.inf); new_b = np.full((T, K), -np.inf)
        new_n[0] = xc[0] if not prefix else -np.inf
        psi = new_n[0].copy()
        for t in range(1, T):
            new_n[t] = np.logaddexp(new_n[t - 1], phi[t - 1]) + xc[t]
            new_b[t] = np.logaddexp(new_b[t - 1], new_n[t - 1]) + x[t, 0]
            psi = np.logaddexp(psi, phi[t - 1] + xc[t])
        for k, cls in enumerate(classes):
            self.states[prefix + (int(cls),)] = (new_n[:, k], new_b[:, k], psi[k])
        return psi

    def final(self, prefix):
        r_n, r_b, _ = self.states[prefix]
        return np.logaddexp(r_n[-1], r_b[-1])


fusion = {"lambda": 0.0, "scorers": None, "head": None, "class_of": None, "stops": None}
guided_call = decoder.AudioGuidance.__call__


def fused_call(self, input_ids, scores):
    guided = guided_call(self, input_ids, scores)
    lam, scorers = fusion["lambda"], fusion["scorers"]
    if not lam or scorers is None:
        return guided
    rows = len(input_ids)
    beams = rows // len(scorers)
    class_of, stops = fusion["class_of"], fusion["stops"]
    out = torch.full_like(guided, -torch.inf)
    top = guided.topk(TOP_K, -1).indices  # (rows, K)
    for r in range(rows):
        scorer = scorers[r // beams]
        written = input_ids[r].tolist()
        prefix = tuple(class_of(t, i == 0) for i, t in enumerate(written))
        if any(p is None for p in prefix) or prefix not in scorer.states:
            prefix = None
        base = scorer.states[prefix][2] if prefix is not None else 0.0
        cands = [t for t in top[r].tolist() if not math.isinf(guided[r, t].item())]
        word = [(t, class_of(t, not written)) for t in cands if t not in stops]
        word = [(t, c) for t, c in word if c is not None]
        if prefix is not None and word:
            psi = scorer.extend(prefix, [c for _, c in word])
            for (t, _), p in zip(word, psi):
                out[r, t] = guided[r, t] + lam * (p - base)
        for t in cands:
            if t in stops and prefix is not None:
                out[r, t] = guided[r, t] + lam * (scorer.final(prefix) - base)
        if prefix is None:  # a token the CTC side cannot score was written: fall back to the LLM alone
            out[r] = guided[r]
    return out


decoder.AudioGuidance.__call__ = fused_call
original_write = model_module.ASRModel._write


def fused_write(self, audio_embeddings, seconds, prompt=None):
    head = fusion["head"]
    if head is not None:
        with torch.no_grad():
            fusion["scorers"] = [PrefixScorer(head(a[None].float())[0]) for a in audio_embeddings]
    return original_write(self, audio_embeddings, seconds, prompt)


model_module.ASRModel._write = fused_write


def class_lookup(model, head):
    tok = model.tokenizer
    lookup = head.class_of_id.tolist()
    spaced = {}
    for piece, i in tok.get_vocab().items():
        if not piece.startswith("Ġ"):
            j = tok.convert_tokens_to_ids("Ġ" + piece)
            if j is not None and j != tok.unk_token_id and j < len(lookup) and lookup[j]:
                spaced[i] = lookup[j]
    def class_of(token, first):
        if first and token in spaced:  # the transcript's first word has no space; CTC targets do
            return spaced[token]
        return lookup[token] if token < len(lookup) and lookup[token] else None
    return class_of


def main():
    cmd = sys.argv[1]
    if cmd == "fit":
        fit(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 300)
        return
    model = ASRModel.from_pretrained(__import__("os").environ.get("MODEL", "embedded"))
    vocab = sys.argv[5] if cmd == "eval" and len(sys.argv) > 5 else (sys.argv[4] if cmd == "readout" and len(sys.argv) > 4 else "full")
    head = load_head(sys.argv[2], model, vocab)
    set_names = sys.argv[3].split(",")
    if cmd == "readout":
        for name in set_names:
            items = sets[name]()
            hyps = []
            for a, _ in items:
                _, frames = model.get_audio_features([a])
                slots = model.audio_projector(frames[0][None])
                ids = head.greedy_readout(slots, [slots.shape[1]])[0]
                hyps.append(model.tokenizer.decode(ids).strip())
            print(f"readout {sys.argv[2]} {vocab} {name}: WER {word_error_rate([t for _, t in items], hyps):.1%} | {hyps[0]!r}", flush=True)
        return
    fusion.update(head=head, class_of=class_lookup(model, head), stops=set(stop_token_ids(model.tokenizer)))
    for name in set_names:
        items = sets[name]()
        for lam in [float(x) for x in sys.argv[4].split(",")]:
            fusion["lambda"] = lam
            t0 = time.time()
            hyps = model.transcribe([a for a, _ in items])
            print(f"fusion {sys.argv[2]} {vocab} {name:9} lambda={lam}: WER {word_error_rate([t for _, t in items], hyps):6.1%} "
                  f"({time.time() - t0:4.0f} s) | {hyps[0]!r}", flush=True)


if __name__ == "__main__":
    main()
