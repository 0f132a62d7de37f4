"""Test-time stacking phases: the projector groups the encoder frames five at a time, and
training saw every phase (``training.augment_frames`` drops the first 0..k-1 frames). At
inference each phase gives another slot sequence for the same audio. Candidates (4 beams,
all 4 returned) are written from phase 0 alone (A) or from every phase (B), and each candidate
is scored by the LLM under every phase's slots (log-prob / length ** penalty, summed over phases);
the best wins. Only shipped parts run: the projector, the frozen LLM.
Usage:  python phase_rescore.py MODEL SETS [PHASES] [LENGTH_PENALTY]    e.g. embedded val40,vlong0 5 0.5
(candidates ranked by summed log-prob / length ** LENGTH_PENALTY, as in beam search; default 1)
"""
import math, sys, time
import torch
from transformers import GenerationConfig
from lib import *
from tiny_audio.evaluation import word_error_rate
from tiny_audio.decoder import stop_token_ids, NO_REPEAT_NGRAM
from tiny_audio.model import MIN_NEW_TOKENS, MAX_TOKENS_PER_SECOND
from eval_pieces_sets import sets

name, set_names = sys.argv[1], sys.argv[2].split(",")
n_phases = int(sys.argv[3]) if len(sys.argv) > 3 else 5
LENGTH_PENALTY = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
model = ASRModel.from_pretrained(name)
llm, tok = model.text_decoder, model.tokenizer
stops = set(stop_token_ids(tok))


def trimmed(ids):
    """A returned sequence up to and with its first stop token (the rest is padding)."""
    out = []
    for i in ids.tolist():
        out.append(i)
        if i in stops:
            break
    return tuple(out)


@torch.no_grad()
def candidates(merged, limit):
    config = GenerationConfig(do_sample=False, num_beams=4, num_return_sequences=4, length_penalty=LENGTH_PENALTY, max_new_tokens=limit,
                              eos_token_id=list(stops), no_repeat_ngram_size=NO_REPEAT_NGRAM, pad_token_id=tok.eos_token_id)
    seqs = llm.generate(inputs_embeds=merged[None], attention_mask=torch.ones(1, len(merged), dtype=torch.long),
                        generation_config=config)
    return [trimmed(s) for s in seqs]


@torch.no_grad()
def mean_logprob(merged, ids):
    """Summed log-prob of ``ids`` after the prompt ``merged`` (teacher forcing), divided by
    len(ids) ** LENGTH_PENALTY, as beam search ranks whole candidates."""
    ids_t = torch.tensor(ids)[None]
    embeds = torch.cat([merged[None], llm.get_input_embeddings()(ids_t)], dim=1)
    logits = llm(inputs_embeds=embeds).logits[0, len(merged) - 1 : -1]
    return float(logits.log_softmax(-1).gather(-1, ids_t[0][:, None]).sum()) / len(ids) ** LENGTH_PENALTY


def text(ids):
    return tok.decode(list(ids), skip_special_tokens=True).split("\n")[0].strip()


for set_name in set_names:
    items = sets[set_name]()
    t0 = time.time()
    base, only0, every = [], [], []
    for samples, _ in items:
        _, frames = model.get_audio_features([samples])
        limit = MIN_NEW_TOKENS + math.ceil(MAX_TOKENS_PER_SECOND * len(samples) / 16000)
        prompts = [model.prompt_with_audio(model.audio_projector(frames[0][p:][None])[0])[2] for p in range(n_phases)]
        per_phase = [candidates(m, limit) for m in prompts]
        base.append(text(per_phase[0][0]))
        pool = list(dict.fromkeys(c for cands in per_phase for c in cands))
        score = {c: sum(mean_logprob(m, c) for m in prompts) for c in pool}
        only0.append(text(max(per_phase[0], key=score.get)))
        every.append(text(max(pool, key=score.get)))
    truths = [t for _, t in items]
    print(f"{name} {set_name:8} phases={n_phases} length_penalty={LENGTH_PENALTY}: beam phase 0 {word_error_rate(truths, base):6.1%} | "
          f"phase-0 candidates rescored {word_error_rate(truths, only0):6.1%} | all phases' candidates "
          f"{word_error_rate(truths, every):6.1%} ({time.time() - t0:.0f} s) | {every[0]!r}", flush=True)
