"""Context across pieces: when speech is cut at its pauses (config.max_segment_seconds), the LLM writes
piece n with the transcript of pieces 0..n-1 already in its answer (prefilled after the prompt with
piece n's audio slots, and after the unconditional prompt for guidance), so that a cut does not cost
the sentence its sense; only what it writes after the prefill is kept. Against the package's
`transcribe`, which writes each piece alone. The preset's decoding otherwise (beams, guidance). Usage:
  python piece_context.py MODEL SETS    e.g. python piece_context.py embedded vlong03,vlong0
"""
import math, sys, time
import torch, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, word_error_rate
from tiny_audio.decoder import build_prompt, generate
from tiny_audio.model import MAX_TOKENS_PER_SECOND, MIN_NEW_TOKENS
from eval_pieces_sets import sets


@torch.no_grad()
def with_context(model, audio) -> str:
    """One clip written piece by piece, each piece after the text written so far."""
    prompt, embed = model.config.prompt, model.text_decoder.get_input_embeddings()
    written = ""
    for start, end in model.pieces(audio):
        _, frames = model.listen(audio[start:end])
        _, _, merged = model.prompt_with_audio(model.audio_projector(frames)[0], prompt)
        so_far = torch.tensor(model.tokenizer(written, add_special_tokens=False)["input_ids"], dtype=torch.long)
        merged = torch.cat([merged, embed(so_far.to(merged.device))]) if len(so_far) else merged
        guidance = None
        if model.config.guidance_scale != 1:
            guidance = (torch.cat([build_prompt(model.tokenizer, 0, prompt)[0], so_far]), float(model.config.guidance_scale))
        seconds = (end - start) / 16000
        generation = generate(model.text_decoder, model.tokenizer, [merged],
                              [MIN_NEW_TOKENS + math.ceil(MAX_TOKENS_PER_SECOND * seconds)],
                              prefix=model._prompt_prefix(prompt), num_beams=model.config.beams, guidance=guidance)[0]
        written = (written + " " + generation.text.strip()).strip() if written else generation.text.strip()
    return written


name, set_names = sys.argv[1], sys.argv[2].split(",")
model = ASRModel.from_pretrained(name)
for set_name in set_names:
    items = sets[set_name]()
    t0 = time.time()
    alone = model.transcribe([a for a, _ in items])
    t1 = time.time()
    context = [with_context(model, a) for a, _ in items]
    t2 = time.time()
    truths = [t for _, t in items]
    print(f"{name} {set_name:9} alone {word_error_rate(truths, alone):6.1%} ({t1 - t0:3.0f} s)   "
          f"with context {word_error_rate(truths, context):6.1%} ({t2 - t1:3.0f} s) | {context[0]!r}", flush=True)
