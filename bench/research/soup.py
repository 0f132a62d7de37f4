"""Average the projector weights of several finished runs (a "model soup") into a new run folder,
to ask whether independently trained linear projectors combine. Usage:
  python soup.py OUT RUN [RUN ...]    then   python eval_pieces.py OUT val40,vlong0,librivox,synth60 none"""
import shutil, sys
from pathlib import Path
from safetensors.torch import load_file, save_file

out, runs = Path(sys.argv[1]), [Path(r) for r in sys.argv[2:]]
states = [load_file(r / "model.safetensors") for r in runs]
if any(s.keys() != states[0].keys() for s in states):
    raise SystemExit("the runs' projectors have different parameters; soup only runs of one preset")
out.mkdir(parents=True, exist_ok=True)
shutil.copy(runs[0] / "config.json", out / "config.json")
save_file({k: sum(s[k].float() for s in states).div(len(states)).to(states[0][k].dtype) for k in states[0]},
          out / "model.safetensors")
print(f"{out}: mean of {len(runs)} projectors ({', '.join(r.name for r in runs)})")
