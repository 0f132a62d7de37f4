"""Classifier-free guidance for the LLM's transcript: at every step the LLM's log-probs with the
audio are pushed away from its log-probs for the same prompt *without* the audio slots (the
language prior that writes the gist instead of the words), scores = cond + (G - 1) * (cond - uncond).
Nothing is trained; only the shipped projector and frozen LLM run. One clip at a time.
Usage:  python cfg_decode.py MODEL SETS BEAMS GUIDANCE_SCALES   e.g. embedded val40 1,4 1,1.5,2
"""
import math, sys, time
import torch, transformers
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, word_error_rate
from tiny_audio.decoder import stop_token_ids, NO_REPEAT_NGRAM, build_prompt
from tiny_audio.model import MIN_NEW_TOKENS, MAX_TOKENS_PER_SECOND
from eval_pieces_sets import sets

name, set_names = sys.argv[1], sys.argv[2].split(",")
beams, scales = [int(b) for b in sys.argv[3].split(",")], [float(g) for g in sys.argv[4].split(",")]
UNCOND = sys.argv[5] if len(sys.argv) > 5 else "noaudio"  # noaudio | empty (assistant turn only) | meanslot | zeroslot | shuffled | reversed
model = ASRModel.from_pretrained(name)
llm, tok = model.text_decoder, model.tokenizer
if UNCOND == "noaudio":
    uncond_ids = build_prompt(tok, 0, model.config.prompt)[0]
else:
    uncond_ids = torch.tensor(tok(tok.apply_chat_template([{"role": "user", "content": ""}], tokenize=False,
                                                          add_generation_prompt=True), add_special_tokens=False)["input_ids"])


class Guidance(LogitsProcessor):
    """Keeps the unconditional run's key/value cache; beam search reorders rows between steps, so
    each row's parent is found by matching its history to the previous step's rows."""
    def __init__(self, scale, embeds=None):
        self.scale, self.cache, self.history, self.embeds = scale, None, None, embeds

    def __call__(self, input_ids, scores):  # input_ids: (rows, n_new), only the written tokens
        cond = scores.log_softmax(-1)
        if self.scale == 1:
            return cond
        if self.cache is None and self.embeds is not None:  # the prompt with every audio slot the same vector
            out = llm(inputs_embeds=self.embeds[None].expand(len(input_ids), -1, -1), use_cache=True)
        elif self.cache is None:  # first step: read the prompt without audio once per row
            out = llm(input_ids=uncond_ids.expand(len(input_ids), -1), use_cache=True)
        else:
            prev = self.history
            parents = [int((prev == row[:-1]).all(-1).nonzero()[0]) for row in input_ids]
            self.cache.reorder_cache(torch.tensor(parents))
            n_prompt = len(uncond_ids) if self.embeds is None else len(self.embeds)
            position = torch.full((len(input_ids), 1), n_prompt + input_ids.shape[1] - 1)
            out = llm(input_ids=input_ids[:, -1:], position_ids=position, use_cache=True, cache=self.cache)
        self.cache, self.history = out.cache, input_ids.clone()
        uncond = out.logits[:, -1].float().log_softmax(-1)
        guided = cond + (self.scale - 1) * (cond - uncond)
        return guided.masked_fill(torch.isinf(cond), -math.inf)


@torch.no_grad()
def write(samples, n_beams, scale):
    _, frames = model.get_audio_features([samples])
    projected = model.audio_projector(frames[0][None])[0]
    _, _, merged = model.prompt_with_audio(projected)
    embeds = None
    if UNCOND in ("meanslot", "zeroslot"):  # the same slots, each holding one content-free vector
        filler = projected.mean(0, keepdim=True) if UNCOND == "meanslot" else torch.zeros_like(projected[:1])
        embeds = model.prompt_with_audio(filler.expand(len(projected), -1))[2]
    if UNCOND in ("shuffled", "reversed"):  # the clip's own slots out of order: audio, but not these words
        order = torch.randperm(len(projected), generator=torch.Generator().manual_seed(0)) if UNCOND == "shuffled" \
            else torch.arange(len(projected) - 1, -1, -1)
        embeds = model.prompt_with_audio(projected[order])[2]
    config = GenerationConfig(do_sample=False, num_beams=n_beams, max_new_tokens=MIN_NEW_TOKENS + math.ceil(
        MAX_TOKENS_PER_SECOND * len(samples) / 16000), eos_token_id=list(stop_token_ids(tok)),
        no_repeat_ngram_size=NO_REPEAT_NGRAM, pad_token_id=tok.eos_token_id)
    ids = llm.generate(inputs_embeds=merged[None], attention_mask=torch.ones(1, len(merged), dtype=torch.long),
                       generation_config=config, logits_processor=LogitsProcessorList([Guidance(scale, embeds)]))[0]
    return tok.decode(ids, skip_special_tokens=True).split("\n")[0].strip()


for set_name in set_names:
    items = sets[set_name]()
    for n_beams in beams:
        for scale in scales:
            t0 = time.time()
            hyps = [write(a, n_beams, scale) for a, _ in items]
            wer = word_error_rate([t for _, t in items], hyps)
            print(f"{name} {set_name:9} beams={n_beams} guidance={scale} uncond={UNCOND}: WER {wer:6.1%} "
                  f"({time.time() - t0:4.0f} s) | {hyps[0]!r} | {hyps[1]!r}", flush=True)
