"""CTC readout WER (no LLM) of a training checkpoint's projector and CTC head, on our held-out
short clips, LibriVox and the synthetic test: the acoustic side of a run, e.g. after the CTC
stage alone (`tiny-audio train ... --steps 0`). Usage: python readout.py CHECKPOINT.pt [...]"""
import sys
import soundfile as sf, torch, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel, word_error_rate, librivox_items, synthetic_items, read_manifest
from tiny_audio.ctc import CTCHead

model = ASRModel.from_pretrained("embedded")
val = "/work/data/val"
sets = {"held-out short (40)": [(sf.read(f"{val}/{r['path']}", dtype="float32")[0], r["text"]) for r in read_manifest(val)[:40]],
        "LibriVox (5)": [(a, t) for _, a, t in librivox_items()],
        "synthetic test (60)": [(a, t) for _, a, t in synthetic_items("test")]}
frames = {name: [model.listen(a)[1] for a, _ in items] for name, items in sets.items()}  # encode once
for path in sys.argv[1:]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model.audio_projector.load_state_dict(checkpoint["projector"])
    head = CTCHead(model.text_decoder.get_input_embeddings().weight, checkpoint["ctc_head"]["vocab_ids"].tolist())
    head.load_state_dict(checkpoint["ctc_head"])
    row = []
    for name, items in sets.items():
        with torch.no_grad():
            texts = []
            for f in frames[name]:
                slots = model.audio_projector(f)
                texts.append(model.tokenizer.decode(head.greedy_readout(slots, [slots.shape[1]])[0]).strip())
        row.append(f"{name} {word_error_rate([t for _, t in items], texts):6.1%}")
    print(path, "| readout WER:", " | ".join(row), flush=True)
