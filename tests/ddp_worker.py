"""Run by tests/test_training.py under `accelerate launch --num_processes 2 --cpu` (with
tests/ on PYTHONPATH): train the tiny model a few steps with DDP (gloo), then save each
process's projector."""

import sys
from pathlib import Path

import torch
from conftest import make_tiny_features, make_tiny_model

from tiny_audio.training import TrainConfig, train

out = Path(sys.argv[1])
model = make_tiny_model()
features = make_tiny_features(model, out / "features")
train(model, features, TrainConfig(ctc_steps=2, ctc_batch_size=4, steps=2, batch_size=4, warmup_steps=1, checkpoint_every=3), out / "run", progress=False)
rank = torch.distributed.get_rank()
torch.save(model.audio_projector.state_dict(), out / f"projector-rank{rank}.pt")
