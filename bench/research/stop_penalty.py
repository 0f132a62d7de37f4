"""CTC fusion with a penalty on the stop token (a length bonus: ESPnet's joint CTC/attention decoding
has one): does it turn deletions into right words? WER and its substitution / deletion / insertion
shares per penalty. Usage: python stop_penalty.py MODEL SETS PENALTIES   e.g. embedded val40,val50 0,1,2"""
import sys
import jiwer, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel, normalize, decoder
from eval_pieces_sets import sets

penalty = {"nats": 0.0}
fused_scores = decoder.CTCFusion.__call__
def with_stop_penalty(self, input_ids, scores):
    fused = fused_scores(self, input_ids, scores)
    fused[:, self.stops.to(fused.device)] -= penalty["nats"]
    return fused
decoder.CTCFusion.__call__ = with_stop_penalty

model = ASRModel.from_pretrained(sys.argv[1])
for name in sys.argv[2].split(","):
    items = sets[name]()
    for nats in [float(p) for p in sys.argv[3].split(",")]:
        penalty["nats"] = nats
        hyps = model.transcribe([a for a, _ in items])
        o = jiwer.process_words([normalize(t) for _, t in items], [normalize(h) for h in hyps])
        n = o.hits + o.substitutions + o.deletions
        print(f"{name:9} stop penalty {nats}: WER {o.wer:6.1%} = sub {o.substitutions / n:5.1%} + del {o.deletions / n:5.1%} "
              f"+ ins {o.insertions / n:5.1%} | {hyps[0]!r}", flush=True)
