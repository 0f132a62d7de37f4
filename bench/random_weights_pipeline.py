"""A preset's architecture with random weights: speed as a fraction of the hardware's limit.

Speed and memory do not depend on the weights' values, so this measures the seed preset
(whisper-large-v3 + Qwen2-7B, bf16) on a GPU without downloading 18 GB:

- the encoder: ms per 30 s window at batch 1 and at batch B, against the compute bound
  (its FLOPs, counted from the config, at the GPU's peak bf16 rate);
- the decoder: tokens/s at batch 1 and at batch B, against the bound of one decoding step
  (every weight and the KV cache read once from memory, or its FLOPs at peak, whichever
  takes longer: batch 1 is memory-bound);
- end to end: the real-time factor of B clips of 30 s, log-mel to last token.

The arithmetic is printed with the figures. Peak rates are known for H100 and H200 (dense
bf16 tensor-core FLOP/s and HBM bandwidth from NVIDIA's data sheets); elsewhere pass
``--peak-tflops`` and ``--bandwidth-gbs`` to get fractions.

    python bench/random_weights_pipeline.py --preset seed --device cuda --record
    python bench/random_weights_pipeline.py --preset embedded --device cpu --batch 4 --new-tokens 16
"""

from __future__ import annotations

import argparse

import torch
from common import machine, median_seconds, report
from transformers import GenerationConfig

from tiny_audio import N_SAMPLES, ASRConfig, ASRModel, encode, log_mel_spectrogram
from tiny_audio.encoder import MAX_ENCODER_FRAMES
from tiny_audio.log_mel import N_FRAMES
from tiny_audio.weights.device import choose_device, choose_dtype

PROMPT_TEXT_TOKENS = 40  # about the length of the chat template around the audio
AUDIO_TOKENS_30S = MAX_ENCODER_FRAMES // 5  # 300 projector outputs for a 30 s window at k=5
SPOKEN_TOKENS_PER_SECOND = 3  # a 30 s window of read speech is ~90 LLM tokens
# Dense bf16 tensor-core FLOP/s and memory bandwidth (bytes/s), from NVIDIA's data sheets.
PEAKS = {"H200": (989e12, 4.8e12), "H100 80GB HBM3": (989e12, 3.35e12), "H100 PCIe": (756e12, 2.0e12)}


def encoder_flops(config: ASRConfig) -> float:
    """FLOPs of the Whisper encoder over one 30 s window (a multiply-add counts 2)."""
    audio = config.audio_config
    d, ffn, n = audio.d_model, audio.encoder_ffn_dim, MAX_ENCODER_FRAMES
    convs = 2 * 3 * (N_FRAMES * audio.num_mel_bins * d + n * d * d)  # kernel 3; the second has stride 2
    per_layer = 2 * (4 * n * d * d + 2 * n * n * d + 2 * n * d * ffn)  # q, k, v, out; scores and mix; MLP
    return convs + audio.encoder_layers * per_layer


def decoder_step_cost(llm: torch.nn.Module, batch: int, context: int) -> tuple[float, float]:
    """``(bytes, FLOPs)`` of one decoding step for ``batch`` sequences of ``context`` tokens:
    every weight of a matrix product read once (the embedding table is only indexed), and
    each sequence's keys and values read once."""
    text = llm.config
    matmul_params = sum(m.weight.numel() for m in llm.modules() if isinstance(m, torch.nn.Linear))
    dtype_bytes = next(llm.parameters()).element_size()
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    kv_bytes = 2 * text.num_hidden_layers * text.num_key_value_heads * head_dim * dtype_bytes * context * batch
    attention_flops = 4 * text.num_hidden_layers * text.num_attention_heads * head_dim * context * batch
    return matmul_params * dtype_bytes + kv_bytes, 2 * matmul_params * batch + attention_flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="seed")
    parser.add_argument("--device", default=None)
    parser.add_argument("--dtype", default=None, help="default: bf16 on a GPU, float32 on a CPU")
    parser.add_argument("--batch", type=int, default=32, help="the large batch (default: 32)")
    parser.add_argument("--new-tokens", type=int, default=SPOKEN_TOKENS_PER_SECOND * 30,
                        help="tokens written per window (default: 90, read speech)")
    parser.add_argument("--peak-tflops", type=float, help="peak dense FLOP/s of this device, in TFLOP/s")
    parser.add_argument("--bandwidth-gbs", type=float, help="memory bandwidth of this device, in GB/s")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    device = choose_device(args.device)
    dtype = choose_dtype(device, args.dtype)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else ""
    known = next((peaks for key, peaks in PEAKS.items() if key in name), None)
    peak_flops, bandwidth = known or (None, None)
    if args.peak_tflops:
        peak_flops = args.peak_tflops * 1e12
    if args.bandwidth_gbs:
        bandwidth = args.bandwidth_gbs * 1e9

    config = ASRConfig.from_pretrained(args.preset)
    torch.manual_seed(0)
    with torch.device(device):
        model = ASRModel(config).to(dtype).eval()
    llm = model.text_decoder
    n_params = sum(p.numel() for p in model.parameters())
    lines = [f"{args.preset} preset, random weights, {dtype}, on {machine(device)}; {n_params / 1e9:.2f} B parameters"]
    if peak_flops and bandwidth:
        lines.append(f"limits used: {peak_flops / 1e12:g} TFLOP/s dense, {bandwidth / 1e9:g} GB/s memory")

    audio = torch.randn(args.batch, N_SAMPLES, device=device) * 0.1  # (B, 480000): 30 s each
    mel_s = median_seconds(device, lambda: log_mel_spectrogram(audio, config.n_mels))
    mel = log_mel_spectrogram(audio, config.n_mels)  # (B, n_mels, 3000)
    flops = encoder_flops(config)
    lines.append(f"encoder: {flops / 1e9:,.0f} GFLOP per 30 s window (counted from the config)")
    encoder_s = {}
    with torch.no_grad():
        for batch in (1, args.batch):
            encoder_s[batch] = seconds = median_seconds(device, lambda: encode(model.audio_encoder, mel[:batch], MAX_ENCODER_FRAMES))
            line = f"  batch {batch:>3}: {1000 * seconds / batch:8.2f} ms per window"
            if peak_flops:
                bound = flops * batch / peak_flops
                line += f"; compute bound {1000 * bound / batch:.2f} ms -> {bound / seconds:.0%} of the limit"
            lines.append(line)

    prompt = PROMPT_TEXT_TOKENS + AUDIO_TOKENS_30S
    context = prompt + args.new_tokens // 2  # the average length the KV cache has while writing
    lines.append(f"decoder: prompt {prompt} tokens (text + {AUDIO_TOKENS_30S} audio), {args.new_tokens} new tokens")
    decoder_step_s = {}
    with torch.no_grad():
        for batch in (1, args.batch):
            embeds = torch.randn(batch, prompt, config.llm_dim, device=device, dtype=dtype) * 0.02
            mask = torch.ones(batch, prompt, dtype=torch.long, device=device)

            def write(n: int) -> None:  # random weights rarely end a sequence; min_new_tokens makes sure
                config_n = GenerationConfig(do_sample=False, max_new_tokens=n, min_new_tokens=n, pad_token_id=0, eos_token_id=None)
                llm.generate(inputs_embeds=embeds, attention_mask=mask, generation_config=config_n)

            prefill_s = median_seconds(device, lambda: write(1), repeats=3)
            step_s = (median_seconds(device, lambda: write(args.new_tokens), repeats=3) - prefill_s) / (args.new_tokens - 1)
            decoder_step_s[batch] = (prefill_s, step_s)
            line = f"  batch {batch:>3}: {batch / step_s:8.1f} tokens/s ({1000 * step_s:.2f} ms per step, prefill {1000 * prefill_s:.0f} ms)"
            if peak_flops and bandwidth:
                step_bytes, step_flops = decoder_step_cost(llm, batch, context)
                bound = max(step_bytes / bandwidth, step_flops / peak_flops)
                kind = "memory" if step_bytes / bandwidth >= step_flops / peak_flops else "compute"
                line += (f"; {step_bytes / 1e9:.2f} GB and {step_flops / 1e9:,.0f} GFLOP a step: {kind} bound "
                         f"{1000 * bound:.2f} ms -> {bound / step_s:.0%} of the limit")
            lines.append(line)

    for batch in (1, args.batch):
        prefill_s, step_s = decoder_step_s[batch]
        total = mel_s * batch / args.batch + encoder_s[batch] + prefill_s + args.new_tokens * step_s
        lines.append(f"end to end, batch {batch:>3}: {total:6.2f} s for {batch} x 30 s -> real-time factor {30 * batch / total:.0f}x")
    if device.type == "cuda":
        lines.append(f"peak GPU memory allocated: {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
    report("random-weights pipeline: speed against the hardware's limit", lines, save=args.record)


if __name__ == "__main__":
    main()
