"""Transcription speed of the embedded preset, greedy against 4 beams, fp32 and bf16, one clip
at a time and in batches of 8 (5 LibriVox + 20 synthetic test clips), at each guidance scale
given (default: 1, off).   python beam_speed.py [SCALES]   e.g. python beam_speed.py 1,1.5"""
import time, torch, sys
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRConfig, ASRModel
from tiny_audio.evaluation import librivox_items, synthetic_items
items = librivox_items() + synthetic_items("test")[:20]
audio = [a for _, a, _ in items]
secs = sum(len(a) for a in audio) / 16000
scales = [float(g) for g in sys.argv[1].split(",")] if len(sys.argv) > 1 else [1.0]
for dtype, beams, scale in [(d, b, g) for d in (torch.float32, torch.bfloat16) for b in (1, 4) for g in scales]:
    cfg = ASRConfig.from_pretrained("embedded"); cfg.beams = beams; cfg.guidance_scale = scale
    m = ASRModel.from_pretrained("embedded", config=cfg, device="cpu", dtype=dtype)
    m.transcribe(audio[0])
    for bs in (1, 8):
        t = time.perf_counter(); m.transcribe(audio, batch_size=bs); dt = time.perf_counter() - t
        print(f"{dtype} beams={beams} guidance={scale} batch={bs}: {secs/dt:.1f}x", flush=True)
