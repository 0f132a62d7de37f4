"""How often the LLM glues two words into one ("primarylegislation") or writes a non-word, per
decoding: guidance rewards tokens the LLM finds unlikely without the audio, and a word piece
without its leading space is one. Non-words: normalized hypothesis words found in no corpus
sentence (train and test) and no reference; glued: a non-word that splits into two words that are.
Usage: python glued_words.py MODEL SETS SCALES [ALPHAS]    e.g. embedded val50,vphone 1,1.5 0,0.01
(ALPHAS as in eval_guidance.py: the plausibility constraint, an experiment not in the package)
"""
import sys
from eval_guidance import plausibility  # also patches AudioGuidance with the plausibility constraint
from tiny_audio import ASRModel, normalize, word_error_rate
from tiny_audio.data import corpus
from eval_pieces_sets import sets

name, set_names, scales = sys.argv[1], sys.argv[2].split(","), [float(g) for g in sys.argv[3].split(",")]
alphas = [float(a) for a in sys.argv[4].split(",")] if len(sys.argv) > 4 else [0.0]
known = {w for split in ("train", "test") for s in corpus.sentences(split) for w in normalize(s).split()}
model = ASRModel.from_pretrained(name)
for set_name in set_names:
    items = sets[set_name]()
    words = known | {w for _, t in items for w in normalize(t).split()}
    for scale in scales:
        for alpha in alphas:
            plausibility["alpha"] = alpha
            with model.decoding(guidance_scale=scale):
                hyps = model.transcribe([a for a, _ in items])
            hyp_words = [w for h in hyps for w in normalize(h).split()]
            nonwords = [w for w in hyp_words if w not in words and not w.isdigit()]
            glued = [w for w in nonwords if any(w[:i] in words and w[i:] in words for i in range(1, len(w)))]
            print(f"{set_name:9} G={scale} alpha={alpha}: WER {word_error_rate([t for _, t in items], hyps):6.1%}, "
                  f"{len(hyp_words)} words, non-words {len(nonwords) / len(hyp_words):5.1%}, glued {len(glued) / len(hyp_words):5.1%} "
                  f"e.g. {glued[:4]}", flush=True)
