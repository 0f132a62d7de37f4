"""WER of a model through the package's own `transcribe` (batched, 7 s pieces, its beams) at several
classifier-free guidance scales (config.guidance_scale; 1 = off), on our held-out sets and, for the
record, LibriVox and the bundled synthetic test set. Usage:
  python eval_guidance.py MODEL SETS SCALES [BEAMS]    e.g. embedded val40,vlong0 1,1.5 4
"""
import sys, time
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, word_error_rate
from eval_pieces_sets import sets

name, set_names, scales = sys.argv[1], sys.argv[2].split(","), [float(g) for g in sys.argv[3].split(",")]
model = ASRModel.from_pretrained(name)
if len(sys.argv) > 4:
    model.config.beams = int(sys.argv[4])
for set_name in set_names:
    items = sets[set_name]()
    for scale in scales:
        model.config.guidance_scale = scale
        t0 = time.time()
        hyps = model.transcribe([a for a, _ in items])
        wer = word_error_rate([t for _, t in items], hyps)
        print(f"{name} {set_name:9} beams={model.config.beams} guidance={scale}: WER {wer:6.1%} "
              f"({time.time() - t0:4.0f} s) | {hyps[0]!r}", flush=True)
