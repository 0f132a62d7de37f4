"""CTC fusion whose CTC scores come from all k stacking phases of the slots (the encoder frames
with their first 0..k-1 frames dropped, as training's augment_frames does), each phase's prefix-score
gain weighted 1/PHASES: a test-time ensemble of the acoustic side, while the LLM still reads phase 0
alone. Costs one projector pass and one CTC recursion per phase, no LLM pass.
Usage: python phase_fusion.py MODEL SETS PHASES[,PHASES...]   e.g. embedded val40,val50 1,5"""
import sys
import torch, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel, word_error_rate, decoder
from tiny_audio.ctc import SlotScores
from tiny_audio.decoder import token_embeddings
from eval_pieces_sets import sets

model = ASRModel.from_pretrained(sys.argv[1])
frames_seen, phases = [], {"n": 1}
model.audio_projector.register_forward_hook(lambda module, args, out: frames_seen.append(args[0][0]))  # each clip's (T, D)

def phase_slot_scores(audio_embeddings):
    """One SlotScores per phase for the clips just projected (the last len(audio_embeddings) seen)."""
    frames = frames_seen[-len(audio_embeddings):]
    table, c = token_embeddings(model.text_decoder).detach().cpu(), model.config
    with torch.no_grad():
        per_phase = [[model.audio_projector(f[None, p:])[0].cpu() for f in frames] for p in range(phases["n"])]
    del frames_seen[:]
    return [SlotScores(slots, table, c.ctc_fusion_scale, c.ctc_fusion_blank) for slots in per_phase]

model._ctc_fusion = lambda audio_embeddings: (phase_slot_scores(audio_embeddings), float(model.config.ctc_fusion_weight))

PackageFusion = decoder.CTCFusion

class PhaseFusion:
    """CTCFusion once per phase, chained, each at weight / phases: the LLM's top-K candidates
    gain the mean of the phases' CTC prefix-score changes."""
    def __init__(self, tokenizer, slot_scores, weight, num_beams):
        self.parts = [PackageFusion(tokenizer, s, weight / len(slot_scores), num_beams) for s in slot_scores]
    def __call__(self, input_ids, scores):
        for part in self.parts:
            scores = part(input_ids, scores)
        return scores

decoder.CTCFusion = PhaseFusion  # generate builds its fusion processor from this name
for name in sys.argv[2].split(","):
    items = sets[name]()
    for n in [int(p) for p in sys.argv[3].split(",")]:
        phases["n"] = n
        hyps = model.transcribe([a for a, _ in items])
        print(f"{name:9} phases {n}: WER {word_error_rate([t for _, t in items], hyps):6.1%} | {hyps[0]!r}", flush=True)
