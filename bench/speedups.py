"""Each speed-up of the embedded recognizer on the CPU, measured against what it replaces.

Every row runs both sides in this process on the same clips (5 bundled LibriVox + held-out
synthetic), so the ratios hold on a noisy machine:

- encoder context: Whisper's whole 30 s window against the clip plus a little padding
  (``ASRConfig.encoder_padding_seconds``), with the WER it gives through Whisper's own
  decoder (a trained listener: it shows what the frames still carry) and through ours;
- attention: SDPA (the default) against the eager implementation;
- precision: bf16 against float32 (worth it only on CPUs with native bf16);
- the prompt prefix's cache, reused against recomputed;
- batching in ``transcribe``;
- ``torch.compile`` of the encoder and of the decoder's step: steady-state speed and the
  compile time it must pay back;
- all adopted settings together against the defaults.

    python bench/speedups.py --synthetic 20
    python bench/speedups.py --record
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch
from common import machine, report, timed
from transformers import GenerationConfig
from transformers.modeling_outputs import BaseModelOutput

from tiny_audio import SAMPLE_RATE, ASRConfig, ASRModel, encode, log_mel_spectrogram, n_encoder_frames
from tiny_audio.encoder import encoder_context as encoder_context_frames
from tiny_audio.evaluation import librivox_items, synthetic_items, word_error_rate
from tiny_audio.evaluation.reference import WhisperTranscriber

PADDINGS = (None, 5.0, 1.0)  # seconds of padding the encoder attends over; None: the whole window


class Clips:
    """The test clips and their references, split into the two test sets."""

    def __init__(self, n_synthetic: int) -> None:
        self.sets = {"LibriVox": librivox_items(), "synthetic": synthetic_items("test")[:n_synthetic]}
        self.audio = [a for items in self.sets.values() for _, a, _ in items]
        self.references = [r for items in self.sets.values() for *_, r in items]
        self.seconds = sum(len(a) for a in self.audio) / SAMPLE_RATE

    def wers(self, hypotheses: list[str]) -> str:
        """``"LibriVox WER / synthetic WER"`` of hypotheses in clip order."""
        n = len(self.sets["LibriVox"])
        return (f"{word_error_rate(self.references[:n], hypotheses[:n]):6.1%} / "
                f"{word_error_rate(self.references[n:], hypotheses[n:]):6.1%}")


def encoder_context(model: ASRModel, whisper: WhisperTranscriber, clips: Clips) -> list[str]:
    """Encoder time per clip and WER (Whisper's decoder, ours) for each padding."""
    lines = [f"{'encoder attends over':<28} {'encoder s/clip':>14} {'vs 30 s':>8}  "
             f"{'WER Whisper decoder':>19}  {'WER ours':>15}"]
    base = None
    for padding in PADDINGS:
        seconds, whisper_text, ours = 0.0, [], []
        for samples in clips.audio:
            mel = log_mel_spectrogram(torch.from_numpy(samples), model.config.n_mels)[None]
            n = n_encoder_frames(len(samples))
            context = encoder_context_frames(n, padding)  # the positions the encoder runs over
            frames, spent = timed(lambda: encode(model.audio_encoder, mel, context, padding_seconds=0.0))
            seconds += spent
            # Whisper's decoder reads every position the encoder ran (as in Whisper itself);
            # ours reads the frames that hold audio.
            ids = whisper.model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=frames),
                                         language="en", task="transcribe", do_sample=False)
            whisper_text.append(whisper.processor.batch_decode(ids, skip_special_tokens=True)[0])
            projected = model.audio_projector(frames[:, :n])
            ours.append(model.write(projected, len(samples) / SAMPLE_RATE)[2].text)
        base = base or seconds
        label = "the whole 30 s window" if padding is None else f"the clip + {padding:g} s"
        lines.append(f"{label:<28} {seconds / len(clips.audio):>14.3f} {base / seconds:>7.1f}x  "
                     f"{clips.wers(whisper_text):>19}  {clips.wers(ours):>15}")
    return lines


def attention(model: ASRModel, clips: Clips) -> list[str]:
    """Encoder and decoder time with SDPA against eager attention."""
    times = {}
    for implementation in ("eager", "sdpa"):
        model.audio_encoder.set_attn_implementation(implementation)
        model.text_decoder.set_attn_implementation(implementation)
        model.transcribe(clips.audio[0])  # warm-up
        start = time.perf_counter()
        enc = dec = 0.0
        for samples in clips.audio:
            (_, frames), spent = timed(lambda: model.listen(samples))
            enc += spent
            dec += timed(lambda: model.write(model.audio_projector(frames), len(samples) / SAMPLE_RATE))[1]
        times[implementation] = (enc, dec, time.perf_counter() - start)
    (e0, d0, t0), (e1, d1, t1) = times["eager"], times["sdpa"]
    return [f"SDPA against eager attention: encoder {e0 / e1:.2f}x, decoder {d0 / d1:.2f}x, "
            f"whole transcription {t0 / t1:.2f}x faster"]


def precision(whisper: WhisperTranscriber, clips: Clips) -> list[str]:
    """bf16 against float32: speed and WER of whole transcriptions, ours and (to see what
    bf16 does to a recognizer that works) Whisper's own decoder on the same encoder."""
    lines = [f"{'dtype':<10} {'audio s / wall s':>16}  {'WER LibriVox / synthetic':>24}  {'Whisper decoder WER':>19}"]
    for dtype in (torch.float32, torch.bfloat16):
        model = ASRModel.from_pretrained("embedded", device="cpu", dtype=dtype)
        model.transcribe(clips.audio[0])
        texts, spent = timed(lambda: [model.transcribe(a, batch_size=1) for a in clips.audio])
        whisper.model.to(dtype)
        reference = [whisper.transcribe(a) for a in clips.audio]
        lines.append(f"{str(dtype).removeprefix('torch.'):<10} {clips.seconds / spent:>15.1f}x  "
                     f"{clips.wers(texts):>24}  {clips.wers(reference):>19}")
    whisper.model.to(torch.float32)
    return lines


def merged_prompts(model: ASRModel, clips: Clips) -> list[torch.Tensor]:
    """Each clip's merged prompt ``(n_prompt, llm_dim)``, as ``write`` makes it."""
    prompts = []
    for samples in clips.audio:
        _, frames = model.listen(samples)
        prompts.append(model.prompt_with_audio(model.audio_projector(frames)[0])[2])
    return prompts


def prompt_prefix(model: ASRModel, clips: Clips) -> list[str]:
    """``transcribe`` with the shared prompt prefix's cache reused against recomputed, one
    clip at a time and in batches of 8 (where the prefix is 8 times the work); the encoder
    attends over the clip + 5 s, so that the decoder's share of the time shows."""
    n_prefix = len(model._prompt_prefix(model.config.prompt).embeds)
    model.config.encoder_padding_seconds = 5.0
    lines = []
    for batch_size in (1, 8):
        times = {}
        for label in ("recomputed", "reused"):
            if label == "recomputed":
                model._prompt_prefix = lambda prompt: None  # shadows the method: no prefix
            model.transcribe(clips.audio[:batch_size], batch_size=batch_size)  # warm-up
            _, times[label] = timed(lambda: model.transcribe(clips.audio, batch_size=batch_size))
            vars(model).pop("_prompt_prefix", None)  # the method again
        lines.append(f"prompt prefix ({n_prefix} tokens) reused against recomputed, batch {batch_size}: "
                     f"transcription {times['recomputed'] / times['reused']:.2f}x faster")
    model.config.encoder_padding_seconds = None
    return lines


def batching(model: ASRModel, clips: Clips) -> list[str]:
    """``transcribe`` one clip at a time against batches."""
    one, t1 = timed(lambda: model.transcribe(clips.audio, batch_size=1))
    lines = []
    for batch_size in (4, 8, 16):
        texts, spent = timed(lambda: model.transcribe(clips.audio, batch_size=batch_size))
        same = sum(a == b for a, b in zip(one, texts))
        lines.append(f"transcribe, batch {batch_size:>2} against 1: {t1 / spent:.2f}x faster, "
                     f"{same}/{len(one)} transcripts identical")
    return lines


def compiled(model: ASRModel, clips: Clips) -> list[str]:
    """torch.compile: steady-state ratio and compile time for the encoder and the decoder step."""
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="tiny-audio-inductor-")  # cold: a first run's cost
    mel = log_mel_spectrogram(torch.from_numpy(clips.audio[0]), model.config.n_mels)[None]
    encoder = model.audio_encoder.encoder
    eager_s = min(timed(lambda: encoder(mel))[1] for _ in range(3))
    fast = torch.compile(encoder)
    _, compile_s = timed(lambda: fast(mel))
    compiled_s = min(timed(lambda: fast(mel))[1] for _ in range(3))
    lines = [f"torch.compile encoder: {eager_s / compiled_s:.2f}x per 30 s window after {compile_s:.0f} s of compiling"]

    llm, tok = model.text_decoder, model.tokenizer
    prompts = merged_prompts(model, clips)[:6]  # each new prompt length compiles again
    config = GenerationConfig(do_sample=False, max_new_tokens=40, eos_token_id=tok.eos_token_id,
                              pad_token_id=tok.eos_token_id, cache_implementation="static")
    run = lambda: [llm.generate(inputs_embeds=p[None], generation_config=config) for p in prompts]  # noqa: E731
    run()
    _, eager_s = timed(run)
    forward = llm.forward
    llm.forward = torch.compile(forward)
    _, compile_s = timed(run)
    _, compiled_s = timed(run)
    llm.forward = forward
    lines.append(f"torch.compile decoder step (static cache): {eager_s / compiled_s:.2f}x after {compile_s:.0f} s of compiling")
    return lines


def adopted(clips: Clips) -> list[str]:
    """The defaults against every adopted setting at once."""
    config = ASRConfig.from_pretrained("embedded")
    config.encoder_padding_seconds = 5.0
    sides = {
        "defaults (fp32, 30 s window, batch 1)": (ASRModel.from_pretrained("embedded", device="cpu"), 1),
        "bf16, clip + 5 s, batch 8": (
            ASRModel.from_pretrained("embedded", config=config, device="cpu", dtype=torch.bfloat16), 8),
    }
    lines = [f"{'settings':<40} {'audio s / wall s':>16}  {'WER LibriVox / synthetic':>24}"]
    for label, (model, batch_size) in sides.items():
        model.transcribe(clips.audio[0])
        texts, spent = timed(lambda: model.transcribe(clips.audio, batch_size=batch_size))
        lines.append(f"{label:<40} {clips.seconds / spent:>15.1f}x  {clips.wers(texts):>24}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=20, help="how many held-out synthetic clips (of 60)")
    parser.add_argument("--skip-compile", action="store_true", help="leave out torch.compile (it compiles for minutes)")
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    torch.manual_seed(0)
    clips = Clips(args.synthetic)
    model = ASRModel.from_pretrained("embedded", device="cpu")
    lines = [f"{len(clips.sets['LibriVox'])} LibriVox + {len(clips.sets['synthetic'])} synthetic clips, "
             f"{clips.seconds:.1f} s of audio, greedy, on {machine(torch.device('cpu'))}; "
             f"native bf16: {torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()}", ""]
    whisper = WhisperTranscriber(device="cpu")
    sections = [
        lambda: encoder_context(model, whisper, clips),
        lambda: attention(model, clips),
        lambda: precision(whisper, clips),
        lambda: prompt_prefix(model, clips),
        lambda: batching(model, clips),
        *([] if args.skip_compile else [lambda: compiled(model, clips)]),
        lambda: adopted(clips),
    ]
    for section in sections:
        result = section()
        print("\n".join(result), flush=True)
        lines += [*result, ""]
    report("speed-ups of the embedded recognizer on CPU", lines[:-1], save=args.record)


if __name__ == "__main__":
    main()
