"""Which Whisper-base encoder layer do the slots read best from? The CTC stage alone on the first N
clips of a prepared folder, with the encoder cut after LAYER of its 6 layers (the final layer norm
still applied), then the CTC readout (no LLM) on our 40 held-out short clips and LibriVox. LAYER 56:
all 6 layers, each frame the last layer's output and the fifth's side by side (1024 channels, each
half through the final layer norm): a richer readout for the same linear projector.
Usage: python layer_probe.py OUT_DIR DATA_DIR N CTC_STEPS LAYER [LAYER...]"""
import sys, time
from pathlib import Path
import soundfile as sf, torch, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel, word_error_rate, librivox_items, read_manifest
from tiny_audio.ctc import CTCHead
from tiny_audio.data.features import FeatureCache
from tiny_audio.training import TrainConfig, train

torch.set_num_threads(2)
out_dir, data_dir, n, ctc_steps, layers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
train_items = [(f"{data_dir}/{r['path']}", r["text"]) for r in read_manifest(data_dir)[:n]]
val = "/work/data/val"
held_out = {"held-out short (40)": [(sf.read(f"{val}/{r['path']}", dtype="float32")[0], r["text"]) for r in read_manifest(val)[:40]],
            "LibriVox (5)": [(a, t) for _, a, t in librivox_items()]}
class Keep(torch.nn.Module):
    """A layer that also keeps its output (for TwoLayers)."""
    def __init__(self, layer):
        super().__init__(); self.layer, self.kept = layer, None
    def forward(self, hidden, *args, **kwargs):
        out = self.layer(hidden, *args, **kwargs)
        self.kept = out[0] if isinstance(out, tuple) else out
        return out


class TwoLayers(torch.nn.Module):
    """The final layer norm applied to the last layer's output and to the kept one, side by side."""
    def __init__(self, norm, keep):
        super().__init__(); self.norm, self.keep = norm, keep
    def forward(self, hidden):
        return torch.cat([self.norm(hidden), self.norm(self.keep.kept)], -1)


for layer in map(int, layers):
    model = ASRModel.from_pretrained("embedded", fresh_projector=True)
    encoder = model.audio_encoder.encoder  # a WhisperModel whose decoder was dropped
    if layer == 56:
        encoder.layers[4] = Keep(encoder.layers[4])
        encoder.layer_norm = TwoLayers(encoder.layer_norm, encoder.layers[4])
        model.config.encoder_dim = 2 * model.config.encoder_dim
        model.audio_projector = model.new_projector()
        model.save_pretrained = lambda *args, **kwargs: None  # its config names a 512-dim encoder: the checkpoint is enough
    else:
        encoder.layers = encoder.layers[:layer]
    run = Path(out_dir, f"layer{layer}")
    t0 = time.time()
    cache = run / "features"
    features = FeatureCache(cache) if (cache / "index.json").exists() else FeatureCache.build(model, train_items, cache, progress=False)
    t_cache = time.time() - t0
    train(model, features, TrainConfig(ctc_steps=ctc_steps, steps=0), run, progress=False)
    checkpoint = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    head = CTCHead(model.text_decoder.get_input_embeddings().weight, checkpoint["ctc_head"]["vocab_ids"].tolist())
    head.load_state_dict(checkpoint["ctc_head"])
    model.audio_projector.load_state_dict(checkpoint["projector"])
    model.eval()
    row = []
    for name, items in held_out.items():
        texts = []
        with torch.no_grad():
            for audio, _ in items:
                slots = model.audio_projector(model.listen(audio)[1])
                texts.append(model.tokenizer.decode(head.greedy_readout(slots, [slots.shape[1]])[0]).strip())
        row.append(f"{name} {word_error_rate([t for _, t in items], texts):6.1%}")
    print(f"layer {layer}: cache {t_cache / 60:.1f} min, total {(time.time() - t0) / 60:.1f} min | readout WER:", " | ".join(row), flush=True)
