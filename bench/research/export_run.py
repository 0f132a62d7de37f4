# Write a research checkpoint as a `tiny-audio train`-style run folder (model.safetensors,
# config.json, history.json), so .ci/ship_projector.py can ship it. The history is rebuilt
# from the research logs of every stage of the lineage, in order: one record per logged point;
# with no STAGE=LOG arguments, from the checkpoint's own history (a `training.train` checkpoint).
#   python export_run.py CKPT OUT_DIR [STAGE=LOG[:LAST_STEP] ...]
import json, sys, os, re
sys.path.insert(0, "/work/main")
import torch
from tiny_audio import ASRModel
ckpt, out, *stages = sys.argv[1:]
m = ASRModel.from_pretrained("embedded", device="cpu", fresh_projector=True)
m.config.encoder_padding_seconds = 5
checkpoint = torch.load(ckpt, weights_only=False)
m.audio_projector.load_state_dict(checkpoint["projector"])
history = [] if stages else checkpoint["state"]["history"]
offset = 0
for spec in stages:
    name, path = spec.split("=")
    path, _, cap = path.partition(":")  # NAME=LOG[:LAST_STEP]: the steps after LAST_STEP did not go into the next run
    cap = int(cap) if cap else 10**9
    stage = "ctc" if name.startswith("ctc") else "llm"
    last = 0
    for line in open(path):
        if not line.strip().startswith("{"):
            # .out progress lines: "STEP MEAN_LOSS SECONDS"
            parts = line.split()
            if len(parts) == 3 and all(re.fullmatch(r"[\d.]+", p) for p in parts):
                step, loss = int(parts[0]), float(parts[1])
                if step > cap: continue
                history.append({"step": offset + step, "stage": stage, "run": name, "loss": loss}); last = step
            continue
        d = json.loads(line)
        if isinstance(d.get("step"), int) and d.get("loss") is not None and d["step"] <= cap and not any(h["step"] == offset + d["step"] for h in history):
            history.append({"step": offset + d["step"], "stage": stage, "run": name, "loss": d["loss"]}); last = max(last, d["step"])
    offset += last
history.sort(key=lambda h: h["step"])
os.makedirs(out, exist_ok=True)
m.save_pretrained(out)
open(os.path.join(out, "history.json"), "w").write(json.dumps(history))
print(len(history), "records, last step", history[-1]["step"])
