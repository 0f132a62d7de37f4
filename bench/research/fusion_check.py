"""Quick check: the package's CTC fusion (config.ctc_fusion_weight) through transcribe, WER on sets."""
import sys, time, os
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, word_error_rate
from eval_pieces_sets import sets
model = ASRModel.from_pretrained(sys.argv[1])
for name in sys.argv[2].split(","):
    items = sets[name]()
    for w in [float(x) for x in sys.argv[3].split(",")]:
        model.config.ctc_fusion_weight = w
        t0 = time.time()
        hyps = model.transcribe([a for a, _ in items])
        print(f"{sys.argv[1]} {name:9} fusion={w}: WER {word_error_rate([t for _, t in items], hyps):6.1%} ({time.time() - t0:4.0f} s) | {hyps[0]!r}", flush=True)
