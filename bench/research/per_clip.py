"""Per-clip comparison of what the LLM writes and what the CTC readout of the same projector
output says, on our held-out short clips and LibriVox: where does the LLM lose the words?
Usage: python per_clip.py RUN_DIR (a `tiny-audio train` folder with checkpoint.pt)"""
import sys, json
import numpy as np, soundfile as sf, torch, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel, word_error_rate, librivox_items, read_manifest
from tiny_audio.ctc import CTCHead

run = sys.argv[1]
model = ASRModel.from_pretrained(run)
ckpt = torch.load(f"{run}/checkpoint.pt", map_location="cpu", weights_only=True)
emb = model.text_decoder.get_input_embeddings().weight
head = CTCHead(emb, ckpt["ctc_head"]["vocab_ids"].tolist())
head.load_state_dict(ckpt["ctc_head"])
val = "/work/data/val"; recs = read_manifest(val)
items = [(f"val{i}", sf.read(f"{val}/{r['path']}", dtype="float32")[0], r["text"]) for i, r in enumerate(recs[:40])]
items += [(n, a, t) for n, a, t in librivox_items()]
rows = []
for name, samples, truth in items:
    hyp = model.transcribe([samples])[0]
    _, frames = model.listen(samples)
    with torch.no_grad():
        slots = model.audio_projector(frames)
    ids = head.greedy_readout(slots, [slots.shape[1]])[0]
    ctc = model.tokenizer.decode(ids).strip()
    rows.append(dict(name=name, truth=truth, llm=hyp, ctc=ctc, slots=slots.shape[1],
                     wer_llm=word_error_rate([truth], [hyp]), wer_ctc=word_error_rate([truth], [ctc])))
    r = rows[-1]
    print(f"{name:8} llm {r['wer_llm']:5.0%} ctc {r['wer_ctc']:5.0%}\n  T: {truth}\n  L: {hyp}\n  C: {ctc}", flush=True)
for group in ("val", "Libri"):
    sel = [r for r in rows if r["name"].startswith(group) or (group == "Libri" and not r["name"].startswith("val"))]
    print(group, len(sel), "LLM", f"{word_error_rate([r['truth'] for r in sel], [r['llm'] for r in sel]):.1%}",
          "CTC", f"{word_error_rate([r['truth'] for r in sel], [r['ctc'] for r in sel]):.1%}")
json.dump(rows, open(f"{run}/per_clip.json", "w"), indent=1)
