"""WER of a model with the LLM writing by beam search instead of greedy decoding (one clip at a
time, no prompt cache), on our held-out sets and, for the record, LibriVox and the synthetic
test. Usage:  python eval_beam.py MODEL SETS BEAMS [LENGTH_PENALTIES]
e.g. embedded val40,librivox 1,4 or embedded val40 4 1,2 (beam scores divided by length**penalty; default 1)
"""
import math, sys, time
import torch, transformers
from transformers import GenerationConfig
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, word_error_rate
from tiny_audio.decoder import stop_token_ids, NO_REPEAT_NGRAM
from tiny_audio.model import MIN_NEW_TOKENS, MAX_TOKENS_PER_SECOND
from eval_pieces_sets import sets

name, set_names, beams = sys.argv[1], sys.argv[2].split(","), [int(b) for b in sys.argv[3].split(",")]
length_penalties = [float(p) for p in sys.argv[4].split(",")] if len(sys.argv) > 4 else [1.0]
model = ASRModel.from_pretrained(name)


@torch.no_grad()
def write(samples, n_beams, length_penalty):
    _, frames = model.get_audio_features([samples])
    projected = model.audio_projector(frames[0][None])[0]
    _, _, merged = model.prompt_with_audio(projected)
    config = GenerationConfig(do_sample=False, num_beams=n_beams, length_penalty=length_penalty, max_new_tokens=MIN_NEW_TOKENS + math.ceil(
        MAX_TOKENS_PER_SECOND * len(samples) / 16000), eos_token_id=list(stop_token_ids(model.tokenizer)),
        no_repeat_ngram_size=NO_REPEAT_NGRAM, pad_token_id=model.tokenizer.eos_token_id)
    ids = model.text_decoder.generate(inputs_embeds=merged[None], attention_mask=torch.ones(1, len(merged), dtype=torch.long),
                                      generation_config=config)[0]
    return model.tokenizer.decode(ids, skip_special_tokens=True).split("\n")[0].strip()


for set_name in set_names:
    items = sets[set_name]()
    for n_beams in beams:
      for length_penalty in length_penalties:
        t0 = time.time()
        hyps = [write(a, n_beams, length_penalty) for a, _ in items]
        wer = word_error_rate([t for _, t in items], hyps)
        print(f"{name} {set_name:9} beams={n_beams} length_penalty={length_penalty}: WER {wer:6.1%} ({time.time() - t0:4.0f} s) | {hyps[0]!r}", flush=True)
