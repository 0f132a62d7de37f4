"""CTC fusion settings through the package's transcribe: WER on sets for each
(guidance, weight, scale, blank, beams[, max segment seconds]) given as G:W:S:B:N[:M], comma-separated."""
import sys, time
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, word_error_rate
from eval_pieces_sets import sets
model = ASRModel.from_pretrained(sys.argv[1])
for name in sys.argv[2].split(","):
    items = sets[name]()
    for spec in sys.argv[3].split(","):
        g, w, s, b, n, *m = spec.split(":")
        c = model.config
        if m:
            c.max_segment_seconds = None if m[0] == "none" else float(m[0])
        c.guidance_scale, c.ctc_fusion_weight, c.ctc_fusion_scale, c.ctc_fusion_blank, c.beams = float(g), float(w), float(s), float(b), int(n)
        t0 = time.time()
        hyps = model.transcribe([a for a, _ in items])
        print(f"{sys.argv[1]} {name:9} G={g} W={w} S={s} B={b} beams={n} cut={c.max_segment_seconds}: WER {word_error_rate([t for _, t in items], hyps):6.1%} ({time.time() - t0:4.0f} s) | {hyps[0]!r}", flush=True)
