"""The ``tiny-audio`` command: transcribe, explore, prepare data, train, evaluate, check the machine.

    tiny-audio transcribe FILE... [--bundled] [--json] [--model NAME_OR_FOLDER] [--batch-size B]
                     [--dtype bfloat16] [--encoder-padding SECONDS] [--beams N]
                     [--guidance-scale G] [--ctc-fusion W] [--max-segment-seconds SECONDS|none]
    tiny-audio explore [--preset NAME] [--weights]
    tiny-audio prepare-data OUT [--n N] [--split train|test] [--seed S] [--no-noise] [--engines kokoro=1,piper=2]
    tiny-audio train DATA --out RUN [--steps N] [--batch-size B] ...
    tiny-audio eval [--model M] [--data DIR] [--out results.json] [--batch-size B] [--dtype D] [--encoder-padding S]
                    [--beams N] [--guidance-scale G] [--ctc-fusion W] [--max-segment-seconds S]
    tiny-audio doctor [--prepare]
    tiny-audio demo [--model M] [--device D] [--dtype D] [--port P]

Errors print one line (``error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

from accelerate import PartialState

from . import presets
from .config import ASRConfig
from .data.clips import load_clips
from .data.features import FeatureCache, JoinedFeatures
from .evaluation import evaluate, librivox_items, manifest_items, synthetic_items
from .model import ASRModel
from .sampling import SAMPLE_RATE, load_audio
from .training import TrainConfig, train
from .weights import doctor
from .weights.cache import atomic_write_bytes
from .weights.device import choose_device

UNTRAINED_NOTE = (
    "note: this model's projector is untrained (random weights), so the text below is "
    "not a transcript; train one (lesson 3) or pass --model FOLDER with a trained projector"
)


UNRELIABLE_WER = 0.25  # above this measured WER (one word in four wrong), transcribe warns that its output is unreliable


def _quality_note(model: ASRModel) -> str | None:
    """What to tell the user before the output of ``model``: untrained, or trained but weak."""
    if not model.is_trained:
        return UNTRAINED_NOTE
    preset = presets.shipped_preset(model.projector_source)
    if preset is not None and (wer := presets.training_record(preset)["wer"]["librivox"]) > UNRELIABLE_WER:
        return (f"note: the shipped {preset} projector is an early one ({wer:.0%} WER on the bundled "
                f"LibriVox clips; see tiny_audio/presets/{preset}.training.json): expect many of the "
                "words below to be wrong")
    return None


def _load_model(
    model: str | None, device: str | None = None, dtype: str | None = None, decoding: argparse.Namespace | None = None,
) -> tuple[str, ASRModel, str | None]:
    """The model a command runs (``--model``, else the preset for this machine), with its
    quality note, which is also printed to stderr: ``(name, model, note or None)``.
    ``decoding``'s options (``_add_decoding_options``) override the config's settings when given."""
    device = choose_device(device)
    name = model or presets.choose_preset(device)
    config = ASRConfig.from_pretrained(name)
    if decoding is not None:
        for field, value in _decoding_settings(decoding).items():
            setattr(config, field, value)
    config.validate()
    loaded = ASRModel.from_pretrained(name, config=config, device=device, dtype=dtype)
    if (note := _quality_note(loaded)) is not None:
        print(note, file=sys.stderr)
    return name, loaded, note


def _decoding_settings(args: argparse.Namespace) -> dict[str, object]:
    """The config fields the decoding options set: only those given on the command line."""
    given = {"encoder_padding_seconds": args.encoder_padding, "beams": args.beams, "guidance_scale": args.guidance_scale,
             "ctc_fusion_weight": args.ctc_fusion}
    settings = {field: value for field, value in given.items() if value is not None}
    if args.max_segment_seconds is not None:  # "none" is given and means None
        settings["max_segment_seconds"] = _segment_seconds(args.max_segment_seconds)
    return settings


def _segment_seconds(value: str) -> float | None:
    """``--max-segment-seconds``: seconds, or "none" for Whisper's 30 s windows only."""
    if value.strip().lower() == "none":
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"--max-segment-seconds takes seconds or 'none', got {value!r}") from None


def _engine_weights(value: str) -> dict[str, float]:
    """``--engines``: "kokoro" or "piper=3,kokoro=2" -> {engine: weight}; a bare name weighs 1."""
    weights = {}
    for item in value.split(","):
        name, _, weight = item.strip().partition("=")
        try:
            weights[name.strip()] = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"--engines: {item!r} is not ENGINE or ENGINE=WEIGHT (e.g. kokoro=2)") from None
    return weights


def _transcribe(args: argparse.Namespace) -> None:
    paths = [Path(p) for p in args.files] + ([c.path for c in load_clips()] if args.bundled else [])
    if not paths:
        raise ValueError("no audio given; pass one or more files, or --bundled for the bundled clips")
    _check_batch_size(args.batch_size)
    audio = [load_audio(p) for p in paths]  # read everything first: a bad file fails before loading the model
    name, model, _ = _load_model(args.model, args.device, args.dtype, decoding=args)
    texts = model.transcribe(audio, batch_size=args.batch_size, progress=len(audio) > args.batch_size)
    for path, samples, text in zip(paths, audio, texts):
        if args.json:
            record = {
                "path": str(path),
                "text": text,
                "seconds": round(len(samples) / SAMPLE_RATE, 3),
                "model": str(name),
                "projector_trained": model.is_trained,
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(f"{path}: {text}", flush=True)


def _explore(args: argparse.Namespace) -> None:
    from .explore import explore  # imported here: only this command prints the workshop

    explore(args.preset, load_weights=args.weights)


def _prepare_data(args: argparse.Namespace) -> None:
    from .data.synth import prepare_dataset, read_manifest  # imported here: only this command synthesizes

    out = prepare_dataset(Path(args.out), args.n, split=args.split, seed=args.seed, noise=not args.no_noise,
                          engine_weights=_engine_weights(args.engines) if args.engines else None)
    records = read_manifest(out)
    minutes = sum(record["seconds"] for record in records) / 60
    print(f"{out}: {len(records)} utterances, {minutes:.1f} min of 16 kHz speech ({args.split} sentences, seed {args.seed})")


def _train(args: argparse.Namespace) -> None:
    from .data.synth import read_manifest  # imported here: the data tools pull in more libraries

    config = TrainConfig(ctc_steps=args.ctc_steps, ctc_batch_size=args.ctc_batch_size, ctc_lr=args.ctc_lr,
                         steps=args.steps, batch_size=args.batch_size, lr=args.lr, ctc_weight=args.ctc_weight,
                         augment=not args.no_augment, join_probability=args.join,
                         warmup_steps=args.warmup_steps, checkpoint_every=args.checkpoint_every,
                         eval_every=args.eval_every, seed=args.seed, mixed_precision=args.precision)
    folders = [Path(folder) for folder in args.data] + ([Path(args.eval_data)] if args.eval_data else [])
    records = [read_manifest(folder) for folder in folders]  # a bad folder fails here, before the model loads
    process = PartialState()  # under `accelerate launch`, each process trains on its own device
    model = ASRModel.from_pretrained(args.model, device=args.device or process.device)
    if args.from_scratch:
        model.audio_projector = model.new_projector()  # random weights: nothing learned yet
    with process.main_process_first():  # the first process encodes the clips; the others then read them
        caches = [FeatureCache.for_model(model, folder, [(folder / r["path"], r["text"]) for r in recs])
                  for folder, recs in zip(folders, records)]
    training_caches = caches[: len(args.data)]
    features = training_caches[0] if len(training_caches) == 1 else JoinedFeatures(training_caches)
    history = train(model, features, config, args.out, eval_features=caches[-1] if args.eval_data else None)
    if process.is_main_process:
        print(f"trained {len(history)} steps, final loss {history[-1]['loss']:.3f}, CTC fusion blank "
              f"{model.config.ctc_fusion_blank:g} (set for this projector); load it with --model {args.out}")


def _eval(args: argparse.Namespace) -> None:
    _check_batch_size(args.batch_size)
    if args.data == "librivox":
        items = librivox_items()
    elif args.data == "synthetic":
        items = synthetic_items("test")
    else:
        items = manifest_items(args.data)
    name, model, _ = _load_model(args.model, args.device, args.dtype, decoding=args)
    result = evaluate(partial(model.transcribe, batch_size=args.batch_size, progress=True), items, batched=True)
    for clip in result.clips:
        print(f"{clip.wer:6.1%}  {clip.name}: {clip.hypothesis!r}")
    print(f"WER {result.wer:.1%} on {len(items)} clips ({args.data}), model {name}")
    if args.out:
        record = {"model": str(name), "data": args.data, **result.to_dict()}
        atomic_write_bytes(Path(args.out), json.dumps(record, indent=1).encode())


def _demo(args: argparse.Namespace) -> None:
    from .publish.demo import build_demo, serve  # imported here: gradio is the optional [demo] extra

    name, model, note = _load_model(args.model, args.device, args.dtype)
    app = build_demo(model, title=f"tiny-audio: {name}", note=note)
    url = serve(app, args.port)
    print(f"demo of {name} on {url} (Ctrl-C to stop)", flush=True)
    app.block_thread()


def _doctor(args: argparse.Namespace) -> None:
    if args.prepare:
        doctor.prepare()
    print(doctor.report())


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1, got {batch_size}")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """Which model a command runs, and where."""
    p.add_argument("--model", help=f"preset ({', '.join(presets.PRESETS)}) or saved folder; default: chosen for this machine")
    p.add_argument("--device", help="cpu, cuda, cuda:1, ...; default: cuda when available")
    p.add_argument("--dtype", help="float32, bfloat16, ...; default: bf16 on GPU, float32 on CPU "
                                   "(bfloat16 is faster on CPUs with native bf16: see `tiny-audio doctor`)")


def _add_decoding_options(p: argparse.ArgumentParser) -> None:
    """The options that change how a model reads and writes: most trade time against accuracy (BENCHMARKS.md)."""
    p.add_argument("--batch-size", type=int, default=8, help="30 s windows decoded together (default: 8)")
    p.add_argument("--encoder-padding", type=float, metavar="SECONDS",
                   help="encode each clip with only this much of the silence after it; default: the model's "
                        "setting (5 s for the embedded preset, on which its projector trained; Whisper's whole "
                        "30 s window for the seed preset)")
    p.add_argument("--beams", type=int, metavar="N",
                   help="the LLM writes by beam search over N candidates (slower, more accurate: 4 takes about "
                        "twice the decoding time); default: the model's setting (1: greedy)")
    p.add_argument("--guidance-scale", type=float, metavar="G",
                   help="how much more the LLM follows the audio than its own idea of the sentence (classifier-free "
                        "guidance; 1: off; above 1 it costs 1.1-2x the decoding time); default: the model's setting (1, off, for the embedded preset)")
    p.add_argument("--ctc-fusion", type=float, metavar="W",
                   help="weight of the audio slots' own CTC scores on the LLM's likeliest next tokens (joint CTC/LLM "
                        "decoding; 0: off); default: the model's setting (1 for the embedded preset)")
    p.add_argument("--max-segment-seconds", metavar="SECONDS",
                   help="cut speech longer than this at its quietest moments and let the LLM write each piece on "
                        "its own; 'none' keeps whole 30 s windows; default: the model's setting (6 for the embedded "
                        "preset, none for the seed preset)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tiny-audio", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("transcribe", help="transcribe audio files (any length, 30 s windows)")
    p.add_argument("files", nargs="*", help="audio files that soundfile or librosa can read")
    p.add_argument("--bundled", action="store_true", help="also transcribe the bundled LibriVox clips")
    p.add_argument("--json", action="store_true", help="one JSON object per line (path, text, ...)")
    _add_model_options(p)
    _add_decoding_options(p)
    p.set_defaults(run=_transcribe)

    p = sub.add_parser("explore", help="print the seed workshop's view of a preset")
    p.add_argument("--preset", default="seed", help="preset name or saved folder (default: seed)")
    p.add_argument("--weights", action="store_true", help="load real weights instead of the meta device")
    p.set_defaults(run=_explore)

    p = sub.add_parser("prepare-data", help="synthesize training speech from the corpus (needs tiny-audio[data] or espeak-ng)")
    p.add_argument("out", help="a new folder for audio/NNNNN.flac and manifest.jsonl")
    p.add_argument("--n", type=int, default=1000, help="how many utterances (default: 1000)")
    p.add_argument("--split", choices=("train", "test"), default="train", help="which corpus sentences (default: train)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same dataset (default: 0)")
    p.add_argument("--no-noise", action="store_true",
                   help="clean speech: no room echo, background noise, telephone line or level change")
    p.add_argument("--engines", metavar="ENGINE[=W],...",
                   help="which voice engines speak, with their shares, e.g. kokoro or piper=3,kokoro=2 "
                        "(default: piper=0.6,espeak=0.2,flite=0.2 of those installed)")
    p.set_defaults(run=_prepare_data)

    p = sub.add_parser("train", help="train the projector on a prepared dataset (resumes from OUT if stopped)")
    p.add_argument("data", nargs="+",
                   help="one or more folders made by `tiny-audio prepare-data` (manifest.jsonl + audio/), trained on as one")
    p.add_argument("--out", required=True, help="run folder: checkpoints, history.json, the trained model")
    p.add_argument("--model", default="embedded",
                   help="preset or saved folder to start from, with its trained projector (default: embedded)")
    p.add_argument("--from-scratch", action="store_true",
                   help="start from a random projector instead of the model's trained one: training from nothing")
    p.add_argument("--device", help="default: cuda when available (under accelerate: this process's GPU)")
    defaults = TrainConfig()
    p.add_argument("--ctc-steps", type=int, default=defaults.ctc_steps,
                   help=f"stage 1, the CTC warm start: steps (default: {defaults.ctc_steps}; 0 skips it)")
    p.add_argument("--ctc-batch-size", type=int, default=defaults.ctc_batch_size)
    p.add_argument("--ctc-lr", type=float, default=defaults.ctc_lr)
    p.add_argument("--no-augment", action="store_true",
                   help="train on the cached frames as they are (default: a random stacking phase and "
                        "feature dropout in both stages, time masks in stage 1, which keep the projector "
                        "from memorizing the clips)")
    p.add_argument("--steps", type=int, default=defaults.steps,
                   help=f"stage 2, the LLM's loss + CTC: steps (default: {defaults.steps})")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size, help="global batch, split across processes")
    p.add_argument("--lr", type=float, default=defaults.lr)
    p.add_argument("--ctc-weight", type=float, default=defaults.ctc_weight,
                   help=f"share of the CTC loss in stage 2 (default: {defaults.ctc_weight})")
    p.add_argument("--join", type=float, default=defaults.join_probability, metavar="P",
                   help="stage 2: the chance that a batch is 2-3 clips in a row per example, so the LLM also learns "
                        f"to read speech longer than one sentence (default: {defaults.join_probability})")
    p.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps, help="per stage")
    p.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every)
    p.add_argument("--eval-data", help="a held-out folder made by `tiny-audio prepare-data`: its loss is recorded "
                                       "in history.json every --eval-every steps")
    p.add_argument("--eval-every", type=int, default=defaults.eval_every)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--precision", choices=("auto", "bf16", "no"), default=defaults.mixed_precision,
                   help="bf16 autocast; auto: on a GPU or a CPU with native bf16 (default: auto)")
    p.set_defaults(run=_train)

    p = sub.add_parser("eval", help="word error rate on the bundled clips or a prepared dataset")
    p.add_argument("--data", default="librivox",
                   help="librivox (the 5 bundled real clips, default), synthetic (the 60 bundled held-out "
                        "synthesized sentences), or a folder made by `tiny-audio prepare-data`")
    _add_model_options(p)
    _add_decoding_options(p)
    p.add_argument("--out", help="write per-clip references, hypotheses and WER to this JSON file")
    p.set_defaults(run=_eval)

    p = sub.add_parser("demo", help="a browser demo on this machine: record or upload speech, see transcript and shapes")
    _add_model_options(p)
    p.add_argument("--port", type=int, default=7860, help="serve on http://127.0.0.1:PORT (default: 7860; 0: any free port)")
    p.set_defaults(run=_demo)

    p = sub.add_parser("doctor", help="hardware, which presets can load, what is cached")
    p.add_argument("--prepare", action="store_true", help="first convert the packaged embedded weights into the cache")
    p.set_defaults(run=_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, OSError, ImportError) as err:  # our errors are one line; so are file and missing-extra errors
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
