"""The greedy row of lesson 5's speed table: the embedded preset writing greedily (beams 1, no
guidance; its own CTC fusion, which was off before 2026-12-07's second record), bf16 where the CPU has it natively, encoder padding 5 s, batches of 8,
its own cut of speech at pauses; speed and WER on the 5 LibriVox + 20 synthetic clips
bench/transcription_cpu.py times.   python greedy_row.py"""
import time, torch
from tiny_audio import ASRConfig, ASRModel, word_error_rate
from tiny_audio.evaluation import librivox_items, synthetic_items
from tiny_audio.weights.device import has_fast_bf16
items = librivox_items() + synthetic_items("test")[:20]
audio = [a for _, a, _ in items]; secs = sum(len(a) for a in audio) / 16000
cfg = ASRConfig.from_pretrained("embedded"); cfg.beams = 1; cfg.guidance_scale = 1.0; cfg.encoder_padding_seconds = 5.0
dtype = torch.bfloat16 if has_fast_bf16(torch.device("cpu")) else torch.float32
m = ASRModel.from_pretrained("embedded", config=cfg, device="cpu", dtype=dtype)
m.transcribe(audio[0])
t = time.perf_counter(); hyps = m.transcribe(audio, batch_size=8); dt = time.perf_counter() - t
print(dtype, f"{secs/dt:.1f}x", f"LibriVox {word_error_rate([t for _,_,t in items[:5]], hyps[:5]):.1%}",
      f"synthetic {word_error_rate([t for _,_,t in items[5:]], hyps[5:]):.1%}")
