"""The tiny-audio command: the seed printout, transcription with JSON, doctor, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tiny_audio import ASRModel
from tiny_audio.cli import UNTRAINED_NOTE, main

REPO = Path(__file__).parents[1]
SEED_OUTPUT = (Path(__file__).parent / "data" / "seed_workshop_output.txt").read_text()


def test_explore_prints_the_seed_workshop_output_exactly(capsys):
    assert main(["explore", "--preset", "seed"]) == 0
    assert capsys.readouterr().out == SEED_OUTPUT


def test_doctor_reports_hardware_presets_and_cache(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "device: cpu" in out and "cache:" in out
    assert "openai/whisper-large-v3" in out and "openai/whisper-base" in out
    assert "default preset on this machine: embedded" in out


def test_doctor_in_a_notebook_advises_python_not_flags(monkeypatch, tmp_path):
    from tiny_audio.weights import doctor

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TINY_AUDIO_CACHE", str(tmp_path / "cache" / "tiny-audio"))
    monkeypatch.setattr(doctor, "has_fast_bf16", lambda device: True)
    notebook, terminal = doctor.report(for_notebook=True), doctor.report()
    assert "dtype=torch.bfloat16" in notebook and "--dtype" not in notebook
    assert "--dtype bfloat16 is faster here" in terminal
    assert "cache: ~/cache/tiny-audio" in notebook and f"cache: {tmp_path}" in terminal


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "missing.wav", "no audio file at"),
        (lambda d: (d / "notes.wav").write_text("hello") and d / "notes.wav", "not an audio file"),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, make, words):
    assert main(["transcribe", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and words in err and "\n" not in err


def test_no_files_is_an_error(capsys):
    assert main(["transcribe"]) == 2
    assert "--bundled" in capsys.readouterr().err


def test_unknown_model_is_one_line(tmp_path, capsys):
    clip = REPO / "tiny_audio" / "data" / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav"
    assert main(["transcribe", str(clip), "--model", "nobody/nothing"]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a preset" in err and "\n" not in err


@pytest.mark.slow
def test_transcribe_json_says_whether_the_projector_is_trained(capsys, tmp_path):
    clip = REPO / "tiny_audio" / "data" / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav"
    assert main(["transcribe", str(clip), "--json", "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    record = json.loads(captured.out.strip())
    assert record["path"] == str(clip) and isinstance(record["text"], str)
    assert record["projector_trained"] is True and record["model"] == "embedded"
    assert UNTRAINED_NOTE not in captured.err  # (a weak shipped projector gets its own note, tested below)

    fresh = ASRModel.from_pretrained("embedded", device="cpu", fresh_projector=True)
    fresh.save_pretrained(tmp_path)  # a saved folder whose projector was never trained
    (tmp_path / "model.safetensors").unlink()
    assert main(["transcribe", str(clip), "--json", "--device", "cpu", "--model", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip())["projector_trained"] is False
    assert UNTRAINED_NOTE in captured.err


@pytest.mark.slow
def test_workshop_script_prints_the_seed_then_the_embedded_preset():
    result = subprocess.run(
        [sys.executable, "course/workshops/explore_architecture.py"],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=True,
    )
    out = result.stdout
    assert out.startswith(SEED_OUTPUT)
    embedded = out[len(SEED_OUTPUT):]
    assert "Trainable parameters (the projector): 22,951,168" in embedded
    assert "openai/whisper-base" in embedded and "LlamaForCausalLM" in embedded
    assert "Linear(in_features=2560, out_features=576, bias=True)" in embedded
    assert "encoder    (150, 512)" in embedded and "projector  (30, 576)" in embedded


@pytest.mark.parametrize("from_scratch", [False, True])
def test_train_starts_from_the_models_projector_or_from_scratch(from_scratch, tmp_path, monkeypatch):
    import tiny_audio.cli as cli

    started = {}

    def fake_train(model, features, config, out_dir, eval_features=None):
        started["projector"] = {k: v.clone() for k, v in model.audio_projector.state_dict().items()}
        started["fresh"] = {k: v.clone() for k, v in model.new_projector().state_dict().items()}
        return [{"loss": 0.0}]

    monkeypatch.setattr(cli, "train", fake_train)
    train_dir = REPO / "tiny_audio" / "data" / "synthetic" / "train"
    monkeypatch.setattr(cli.FeatureCache, "for_model", lambda model, folder, items: None)  # no encoding needed here
    assert main(["train", str(train_dir), "--out", str(tmp_path / "run"), *(["--from-scratch"] * from_scratch)]) == 0
    same = all(torch.equal(started["projector"][k], started["fresh"][k]) for k in started["fresh"])
    assert same == from_scratch  # the shipped projector by default; random weights with --from-scratch


def test_train_on_several_folders_trains_on_all_their_clips(tmp_path, monkeypatch):
    import tiny_audio.cli as cli
    from tiny_audio.data.features import JoinedFeatures

    class FakeCache:  # what for_model returns, without encoding anything
        model_id, encoder_dim, encoder_padding_seconds = "openai/whisper-base", 512, 5.0

        def __init__(self, folder, items):
            self.folder, self.items = folder, [{"text": text} for _, text in items]

        def __len__(self):
            return len(self.items)

    seen = {}

    def fake_train(model, features, config, out_dir, eval_features=None):
        seen["features"], seen["eval"] = features, eval_features
        return [{"loss": 0.0}]

    monkeypatch.setattr(cli, "train", fake_train)
    monkeypatch.setattr(cli.FeatureCache, "for_model", lambda model, folder, items: FakeCache(folder, items))
    train_dir = REPO / "tiny_audio" / "data" / "synthetic" / "train"
    n_clips = len((train_dir / "manifest.jsonl").read_text().splitlines())
    test_dir = REPO / "tiny_audio" / "data" / "synthetic" / "test"
    assert main(["train", str(train_dir), str(train_dir), "--eval-data", str(test_dir), "--out", str(tmp_path / "run")]) == 0
    assert isinstance(seen["features"], JoinedFeatures) and len(seen["features"]) == 2 * n_clips
    assert seen["eval"].folder == test_dir  # the held-out folder is not trained on


def test_train_on_a_folder_that_is_not_a_dataset_is_one_line(tmp_path, capsys):
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no manifest.jsonl" in err and "\n" not in err


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--ctc-weight", "-1"], "ctc_weight must be >= 0"),
        (["--ctc-steps", "0", "--steps", "0"], "at least one step"),
        (["--ctc-batch-size", "0"], "must be at least 1"),
        (["--ctc-lr", "0"], "ctc_lr > 0"),
        (["--eval-every", "0"], "must be at least 1"),
        (["--join", "1.5"], "join_probability must be between 0 and 1"),
    ],
)
def test_bad_training_options_are_one_line(tmp_path, capsys, options, words):
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "run"), *options]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and words in err and "\n" not in err


def test_a_held_out_folder_that_is_not_a_dataset_is_one_line(tmp_path, capsys):
    train_dir = REPO / "tiny_audio" / "data" / "synthetic" / "train"
    assert main(["train", str(train_dir), "--eval-data", str(tmp_path / "nothing"), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no manifest.jsonl" in err and "\n" not in err


def test_prepare_data_refuses_a_folder_in_use(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["prepare-data", str(tmp_path), "--n", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "not empty" in err and "\n" not in err


@pytest.mark.parametrize(
    ("engines", "words"),
    [("kokoro=lots", "'kokoro=lots' is not ENGINE or ENGINE=WEIGHT"), ("festival", "unknown engine 'festival'"),
     ("espeak=0", "all 0")],
)
def test_bad_engines_for_prepare_data_are_one_line(tmp_path, capsys, engines, words):
    assert main(["prepare-data", str(tmp_path / "data"), "--n", "2", "--engines", engines]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and words in err and "\n" not in err
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_eval_writes_per_clip_results(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["eval", "--device", "cpu", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["data"] == "librivox" and len(record["clips"]) == 5
    assert {"name", "reference", "hypothesis", "wer"} <= set(record["clips"][0])
    assert "WER" in capsys.readouterr().out


@pytest.mark.slow
def test_eval_warns_when_the_shipped_projector_is_weak(capsys, monkeypatch):
    import tiny_audio.cli as cli
    from tiny_audio.presets import training_record

    wer = training_record("embedded")["wer"]["librivox"]
    model = ASRModel.from_pretrained("embedded", device="cpu")
    monkeypatch.setattr(cli, "UNRELIABLE_WER", wer - 0.01)
    assert "is an early one" in cli._quality_note(model)
    monkeypatch.setattr(cli, "UNRELIABLE_WER", wer + 0.01)
    assert cli._quality_note(model) is None


@pytest.mark.slow
def test_transcribe_in_batches_and_with_the_fast_settings(capsys, embedded_model):
    clips = sorted((REPO / "tiny_audio" / "data" / "librivox").glob("*.wav"))[:3]
    assert main(["transcribe", *map(str, clips), "--json", "--device", "cpu", "--batch-size", "2"]) == 0
    texts = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert texts == embedded_model.transcribe([str(c) for c in clips])  # in order, as one at a time
    args = ["transcribe", *map(str, clips), "--json", "--device", "cpu", "--dtype", "bfloat16", "--encoder-padding", "5"]
    assert main(args) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


@pytest.mark.slow
def test_transcribe_by_beam_search(capsys, embedded_model):
    clips = [str(c) for c in sorted((REPO / "tiny_audio" / "data" / "librivox").glob("*.wav"))[:2]]
    assert main(["transcribe", *clips, "--json", "--device", "cpu", "--beams", "2"]) == 0
    texts = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    greedy = embedded_model.config.beams
    try:
        embedded_model.config.beams = 2
        assert texts == embedded_model.transcribe(clips)
    finally:
        embedded_model.config.beams = greedy


@pytest.mark.slow
def test_transcribe_cuts_long_speech_as_told(capsys, embedded_model, monkeypatch):
    """The embedded preset cuts speech over 6 s at its pauses; --max-segment-seconds none keeps the
    whole window, and the transcript is then the one the model writes without cutting."""
    clip = str(REPO / "tiny_audio" / "data" / "librivox" / "sense_and_sensibility_01_austen_64kb-0870.wav")  # 7.1 s
    assert embedded_model.config.max_segment_seconds == 6.0
    assert main(["transcribe", clip, "--json", "--device", "cpu", "--max-segment-seconds", "none"]) == 0
    whole = json.loads(capsys.readouterr().out)["text"]
    monkeypatch.setattr(embedded_model.config, "max_segment_seconds", None)
    assert whole == embedded_model.transcribe(clip)
    monkeypatch.setattr(embedded_model.config, "max_segment_seconds", 6.0)
    assert whole != embedded_model.transcribe(clip)  # the option changed something


@pytest.mark.slow
def test_transcribe_ctc_fusion_as_told(capsys, embedded_model, monkeypatch):
    """The embedded preset writes with CTC fusion at weight 1; --ctc-fusion 0 writes as the model
    does with the fusion off, which is not what it writes with it."""
    clip = str(REPO / "tiny_audio" / "data" / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav")
    assert embedded_model.config.ctc_fusion_weight == 1.0
    assert main(["transcribe", clip, "--json", "--device", "cpu", "--ctc-fusion", "0"]) == 0
    unfused = json.loads(capsys.readouterr().out)["text"]
    assert unfused != embedded_model.transcribe(clip)
    monkeypatch.setattr(embedded_model.config, "ctc_fusion_weight", 0.0)
    assert unfused == embedded_model.transcribe(clip)


@pytest.mark.parametrize("option", [["--batch-size", "0"], ["--encoder-padding", "-2"], ["--beams", "0"],
                                    ["--guidance-scale", "0.5"], ["--ctc-fusion", "-1"], ["--max-segment-seconds", "1"],
                                    ["--max-segment-seconds", "long"]])
def test_bad_decoding_options_are_one_line(tmp_path, capsys, option):
    clip = REPO / "tiny_audio" / "data" / "librivox" / "sense_and_sensibility_01_austen_64kb-0880.wav"
    assert main(["transcribe", str(clip), "--device", "cpu", *option]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the model's loading bars, if it got that far
    assert err.startswith("error:") and option[0].removeprefix("--").replace("-", "_") in err.replace("-", "_")


def test_every_model_command_takes_model_device_and_dtype():
    from tiny_audio.cli import build_parser

    parser = build_parser()
    for command in ("transcribe", "eval", "demo"):
        args = parser.parse_args([command, "--model", "embedded", "--device", "cpu", "--dtype", "bfloat16"])
        assert (args.model, args.device, args.dtype) == ("embedded", "cpu", "bfloat16")


def test_train_passes_the_augmentation_switch(tmp_path, monkeypatch):
    import tiny_audio.cli as cli
    from tiny_audio.training import TrainConfig

    made = []

    class RecordingConfig(TrainConfig):
        def __post_init__(self) -> None:
            super().__post_init__()
            made.append(self)

    monkeypatch.setattr(cli, "TrainConfig", RecordingConfig)
    for extra, expected in (([], True), (["--no-augment"], False)):
        # tmp_path is no dataset, so the command stops with one line after building its config
        assert cli.main(["train", str(tmp_path), "--out", str(tmp_path / "run"), *extra]) == 2
        assert made[-1].augment is expected
