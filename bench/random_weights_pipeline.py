"""Time and memory of one pass through a preset's architecture with random weights.

Speed and memory do not depend on the weights' values, so this measures the seed preset
(whisper-large-v3 + Qwen2-7B, bf16) on a GPU without downloading 18 GB. The prompt is
made of random token ids (no tokenizer is needed), with the audio placeholders in the
middle, as the real prompt has them.

    python bench/random_weights_pipeline.py --preset seed --device cuda --seconds 30
    python bench/random_weights_pipeline.py --preset embedded --device cpu --seconds 30

Prints one line per stage and a summary; appends the result to BENCHMARKS.md with --record.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch
from transformers import GenerationConfig

from common import machine, report

from tiny_audio import ASRConfig, ASRModel, SAMPLE_RATE, encode, log_mel_spectrogram, n_encoder_frames
from tiny_audio.decoder import merge_audio
from tiny_audio.device import choose_device, choose_dtype

PROMPT_TEXT_TOKENS = 40  # about the length of the chat template around the audio


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(device: torch.device, fn):
    synchronize(device)
    start = time.perf_counter()
    out = fn()
    synchronize(device)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="seed")
    parser.add_argument("--device", default=None)
    parser.add_argument("--dtype", default=None)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    device = choose_device(args.device)
    dtype = choose_dtype(device, args.dtype)
    config = ASRConfig.from_pretrained(args.preset)
    torch.manual_seed(0)
    with torch.device(device):
        model, build_s = timed(device, lambda: ASRModel(config).to(dtype).eval())
    model.audio_projector.float()
    params = sum(p.numel() for p in model.parameters())

    audio = torch.randn(int(args.seconds * SAMPLE_RATE), device=device) * 0.1
    n_frames = n_encoder_frames(len(audio))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    mel, mel_s = timed(device, lambda: log_mel_spectrogram(audio, config.n_mels)[None])
    frames, enc_s = timed(device, lambda: encode(model.audio_encoder, mel, n_frames))
    with torch.no_grad():
        projected, proj_s = timed(device, lambda: model.audio_projector(frames.float()))
    n_audio = projected.shape[1]
    half = PROMPT_TEXT_TOKENS // 2
    ids = torch.randint(0, config.text_config.vocab_size, (1, PROMPT_TEXT_TOKENS + n_audio), device=device)
    mask = torch.zeros_like(ids, dtype=torch.bool)
    mask[:, half : half + n_audio] = True
    embeds = merge_audio(model.text_decoder.get_input_embeddings(), ids, mask, projected)
    # min_new_tokens = max_new_tokens: random weights rarely emit EOS, but make sure.
    generation = GenerationConfig(do_sample=False, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                                  pad_token_id=0, eos_token_id=None)
    with torch.no_grad():
        _, gen_s = timed(device, lambda: model.text_decoder.generate(
            inputs_embeds=embeds, attention_mask=torch.ones_like(ids), generation_config=generation))
    if device.type == "cuda":
        peak = f"peak GPU memory allocated: {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
    else:
        peak = f"peak process memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GiB"
    total = mel_s + enc_s + proj_s + gen_s

    lines = [
        f"{args.preset} preset, random weights, {dtype}, on {machine(device)}; {params / 1e9:.2f} B parameters, built in {build_s:.1f} s",
        f"  log-mel     {1000 * mel_s:8.1f} ms  {tuple(mel.shape)}",
        f"  encoder     {1000 * enc_s:8.1f} ms  {tuple(frames.shape)} kept of 1500 frames",
        f"  projector   {1000 * proj_s:8.1f} ms  {tuple(projected.shape)}",
        f"  decoder     {1000 * gen_s:8.1f} ms  prompt {ids.shape[1]} tokens, {args.new_tokens} new: {args.new_tokens / gen_s:.1f} tokens/s",
        f"  total       {1000 * total:8.1f} ms for {args.seconds:g} s of audio: real-time factor {args.seconds / total:.1f}x",
        f"  {peak}",
    ]
    report("random-weights pipeline", lines, save=args.record)


if __name__ == "__main__":
    main()
