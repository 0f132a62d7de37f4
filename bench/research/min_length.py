"""Does the LLM stop too early? Greedy decoding with the stop tokens (end of turn, line breaks)
forbidden until a transcript has RATE tokens per second of audio, on our held-out sets (choices) and,
for the record, LibriVox and the synthetic test. Usage: python min_length.py MODEL SETS RATE[,RATE...]
(RATE 0: the package's decoding)."""
import sys, time
import torch
from transformers import LogitsProcessor, LogitsProcessorList
import tiny_audio.model as model_module
from tiny_audio.decoder import stop_token_ids
from tiny_audio import ASRModel, word_error_rate
from eval_pieces_sets import sets  # the sets of eval_pieces.py

name, set_names, rates = sys.argv[1:4]

class HoldStop(LogitsProcessor):
    def __init__(self, minimum, stops):
        self.minimum, self.stops, self.start = torch.tensor(minimum), list(stops), None
    def __call__(self, input_ids, scores):
        self.start = input_ids.shape[1] if self.start is None else self.start
        early = (input_ids.shape[1] - self.start) < self.minimum  # (B,)
        scores[early[:, None] & torch.isin(torch.arange(scores.shape[1]), torch.tensor(self.stops))[None]] = -float("inf")
        return scores

model = ASRModel.from_pretrained(name)
original_write_generate = model_module.generate
rate = 0.0
def generate_with_floor(llm_, tokenizer, prompts, limits, prefix=None):
    seconds = [(limit - model_module.MIN_NEW_TOKENS) / model_module.MAX_TOKENS_PER_SECOND for limit in limits]
    minimum = [int(rate * s) for s in seconds]
    plain = llm_.generate
    llm_.generate = lambda **kw: plain(**kw, logits_processor=LogitsProcessorList([HoldStop(minimum, stop_token_ids(tokenizer))]))
    try:
        return original_write_generate(llm_, tokenizer, prompts, limits, prefix=prefix)
    finally:
        del llm_.generate
model_module.generate = generate_with_floor
for set_name in set_names.split(","):
    items = sets[set_name]()
    for rate in map(float, rates.split(",")):
        t0 = time.time()
        hyps = model.transcribe([a for a, _ in items])
        print(f"{name} {set_name:9} min {rate:.1f} tokens/s: WER {word_error_rate([t for _, t in items], hyps):6.1%} ({time.time() - t0:3.0f} s) | {hyps[-1]!r}", flush=True)
