"""WER of a model with transcribe cutting long speech at pauses (config.max_segment_seconds), on our own
held-out sets (never the bundled clips for choices) and, for the
record, on LibriVox and the bundled synthetic test set. Usage:
  python eval_pieces.py MODEL SETS SEGMENTS    e.g. embedded vlong0,val40 none,3,4,5
"""
import sys, time
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel, word_error_rate
from eval_pieces_sets import sets

name, set_names, segments = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
model = ASRModel.from_pretrained(name)
for set_name in set_names:
    items = sets[set_name]()
    for seg in segments:
        model.config.max_segment_seconds = None if seg == "none" else float(seg)
        t0 = time.time()
        hyps = model.transcribe([a for a, _ in items])
        wer = word_error_rate([t for _, t in items], hyps)
        print(f"{name} {set_name:9} max_segment={seg:5}: WER {wer:6.1%} ({time.time() - t0:4.0f} s) | {hyps[0]!r}", flush=True)
