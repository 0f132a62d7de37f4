"""CTC fusion with a blank score set per clip from its own slots instead of the fixed
``ctc_fusion_blank``: the QUANTILE of the clip's per-slot best dot product (slot . embedding over
the whole table). A projector whose slots are louder or quieter than the shipped one's then needs
no new blank. ``calibrate`` prints, per clip, which quantile the fixed blank falls at; ``pooled REF``
finds the quantile of all the sets' slots (pooled) at which reference model REF's fixed blank sits, and
prints the blank at that quantile of MODEL's slots: a per-projector blank with no WER grid.
Usage: python clip_blank.py MODEL SETS calibrate | pooled REF | Q[,Q...]   e.g. /work/e2e/l6400 val40 pooled embedded"""
import sys
import torch, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel, word_error_rate
from tiny_audio.ctc import SlotScores
from tiny_audio.decoder import token_embeddings
from eval_pieces_sets import sets

model = ASRModel.from_pretrained(sys.argv[1])
table = token_embeddings(model.text_decoder).detach().cpu().float()


def best_dots(slots):
    """Each slot's largest dot product with any token embedding ``(T,)``."""
    return (slots.float() @ table.T).max(-1).values


class ClipBlankScores(SlotScores):
    """SlotScores whose blank dot product is, per clip, a quantile of its slots' best dot products."""
    def __init__(self, slots, quantile):
        super().__init__(slots, table, model.config.ctc_fusion_scale, model.config.ctc_fusion_blank)
        for row, clip_slots in enumerate(slots):
            blank_score = torch.quantile(best_dots(clip_slots), quantile).item()
            n = len(clip_slots)
            scores = self.scale * (clip_slots.float() @ table.T)
            blank = torch.full_like(scores[:, :1], self.scale * blank_score)
            self.norm[row, :n] = torch.cat([blank, scores], -1).logsumexp(-1)
            self.blank[row, :n] = self.scale * blank_score - self.norm[row, :n]


def clip_best_dots(asr, audio):
    """The best dot product of each slot ``asr``'s projector writes for one clip ``(T,)``."""
    with torch.no_grad():
        return best_dots(asr.audio_projector(asr.listen(audio)[1])[0].cpu())


def pooled_best_dots(asr, items):
    """Every slot's best dot product over clips ``items``, pooled ``(sum of T,)``."""
    return torch.cat([clip_best_dots(asr, a) for a, _ in items])


if sys.argv[3] == "pooled":
    reference = ASRModel.from_pretrained(sys.argv[4])
    items = [item for name in sys.argv[2].split(",") for item in sets[name]()]
    q = float((pooled_best_dots(reference, items) < reference.config.ctc_fusion_blank).float().mean())
    print(f"{sys.argv[4]}'s blank {reference.config.ctc_fusion_blank} sits at pooled quantile {q:.3f}; "
          f"{sys.argv[1]}'s slots reach it at {pooled_best_dots(model, items).quantile(q):.3f}")
    sys.exit()

setting = {"q": 0.5}
model._ctc_fusion = lambda audio: (ClipBlankScores([a.detach().cpu() for a in audio], setting["q"]),
                                   float(model.config.ctc_fusion_weight))
for name in sys.argv[2].split(","):
    items = sets[name]()
    if sys.argv[3] == "calibrate":
        fixed = model.config.ctc_fusion_blank
        at = torch.tensor([float((clip_best_dots(model, a) < fixed).float().mean()) for a, _ in items])
        print(f"{name:9} the fixed blank {fixed} sits at quantile: mean {at.mean():.3f}, "
              f"10-90% {at.quantile(0.1):.3f}-{at.quantile(0.9):.3f}", flush=True)
        continue
    for q in [float(x) for x in sys.argv[3].split(",")]:
        setting["q"] = q
        hyps = model.transcribe([a for a, _ in items])
        print(f"{name:9} blank at quantile {q}: WER {word_error_rate([t for _, t in items], hyps):6.1%} | {hyps[0]!r}", flush=True)
