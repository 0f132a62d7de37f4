"""WER of a model through the package's own `transcribe` (batched, 7 s pieces, its beams) at several
classifier-free guidance scales (config.guidance_scale; 1 = off), on our held-out sets and, for the
record, LibriVox and the bundled synthetic test set. Usage:
  python eval_guidance.py MODEL SETS SCALES [BEAMS] [ALPHAS]    e.g. embedded val40,vlong0 1,1.5 4
ALPHAS (an experiment, not in the package): guidance may only choose among the tokens whose
probability with the audio is at least ALPHA times the likeliest one's (contrastive decoding's
plausibility constraint); 0 = no constraint. CLAMP=C in the environment: each token's
bonus from the audio, cond - uncond, capped at C nats before it is scaled (an experiment too).
LP=P in the environment: beam search ranks whole candidates by log-prob / length ** P (default 1).
WORDSTART=1: guidance scores only the pieces that begin a word (or are not letters); a piece that
continues a word ("legislation" glued to "primary") keeps the LLM's own score with the audio.
"""
import sys, time
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
import math, os, torch
from tiny_audio import ASRModel, word_error_rate, decoder
from eval_pieces_sets import sets

guided_call, plausibility = decoder.AudioGuidance.__call__, {"alpha": 0.0, "clamp": None, "continues": None}


def word_continuations(tokenizer) -> torch.Tensor:
    """(vocab,) True for the alphabetic pieces without a leading space (byte-level "Ġ")."""
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return torch.tensor([p is not None and p.isalpha() and not p.startswith("Ġ") for p in pieces])


def plausible_call(self, input_ids, scores):
    guided = guided_call(self, input_ids, scores)
    cond = scores.float().log_softmax(-1)
    if plausibility["clamp"] is not None:  # the audio's bonus over the no-audio LLM capped at CLAMP nats
        bonus = (guided - cond) / (self.scale - 1)
        guided = cond + (self.scale - 1) * bonus.clamp(max=plausibility["clamp"])
    if plausibility["continues"] is not None:
        continues = plausibility["continues"][: guided.shape[-1]]
        guided[:, : len(continues)] = torch.where(continues, cond[:, : len(continues)], guided[:, : len(continues)])
    if plausibility["alpha"] <= 0:
        return guided
    return guided.masked_fill(cond < cond.max(-1, keepdim=True).values + math.log(plausibility["alpha"]), -torch.inf)


decoder.AudioGuidance.__call__ = plausible_call


def main():
    if os.environ.get("LP"):
        make_config = decoder.GenerationConfig
        decoder.GenerationConfig = lambda **kw: make_config(**kw, length_penalty=float(os.environ["LP"]))
    if os.environ.get("CLAMP"):
        plausibility["clamp"] = float(os.environ["CLAMP"])
    name, set_names, scales = sys.argv[1], sys.argv[2].split(","), [float(g) for g in sys.argv[3].split(",")]
    model = ASRModel.from_pretrained(name)
    if os.environ.get("WORDSTART"):
        plausibility["continues"] = word_continuations(model.tokenizer)
    if len(sys.argv) > 4:
        model.config.beams = int(sys.argv[4])
    alphas = [float(a) for a in sys.argv[5].split(",")] if len(sys.argv) > 5 else [0.0]
    for set_name in set_names:
        items = sets[set_name]()
        for scale, alpha in [(g, a) for g in scales for a in alphas]:
            plausibility["alpha"] = alpha
            model.config.guidance_scale = scale
            t0 = time.time()
            hyps = model.transcribe([a for a, _ in items])
            wer = word_error_rate([t for _, t in items], hyps)
            print(f"{name} {set_name:9} beams={model.config.beams} guidance={scale}{f' alpha={alpha}' if alpha else ''}: WER {wer:6.1%} "
                  f"({time.time() - t0:4.0f} s) | {hyps[0]!r}", flush=True)


if __name__ == "__main__":
    main()
