"""Bad input, stage by stage and command by command: one clear line, never a deep traceback.

Each case hands a stage function or a ``tiny-audio`` command something wrong and checks
that the answer is a ``ValueError`` (or, for the commands, exit status 2 and one line on
stderr starting with ``error:``) whose message names the problem. Cases that are not
errors (silence, integer PCM, stereo, other sample rates, audio longer than a window) are
checked to go through. More cases live beside the code they test (test_sampling,
test_model, test_training, test_cache, test_cli); this file is the matrix across stages.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from tiny_audio import N_SAMPLES, SAMPLE_RATE, AudioProjector, load_clip, log_mel_spectrogram, stack_frames
from tiny_audio.cli import main
from tiny_audio.data.features import FeatureCache
from tiny_audio.decoder import build_prompt, merge_audio
from tiny_audio.encoder import encode
from tiny_audio.model import PROJECTOR_FILE, ASRModel
from tiny_audio.training import CHECKPOINT_FILE, TrainConfig, train


def _one_line_error(capsys, argv: list[str], *words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err


# ---- files handed to the commands ----------------------------------------------------------

def _write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _truncated_flac(tmp_path) -> str:
    sf.write(tmp_path / "full.flac", load_clip("0880").audio, SAMPLE_RATE)
    return _write(tmp_path, "cut.flac", (tmp_path / "full.flac").read_bytes()[:200])


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: str(d / "nowhere.wav"), ["no audio file at"]),
        (lambda d: _write(d, "empty.wav", b""), ["empty.wav"]),
        (lambda d: _write(d, "notes.mp3", b"these are words, not sound"), ["not an audio file"]),
        (lambda d: _write(d, "image.flac", bytes(range(256)) * 40), ["not an audio file"]),
        (_truncated_flac, ["cut.flac"]),
        (lambda d: str(d), ["is a folder"]),
    ],
    ids=["missing", "empty", "text", "binary", "truncated", "folder"],
)
def test_transcribe_bad_files(tmp_path, capsys, make, words):
    _one_line_error(capsys, ["transcribe", make(tmp_path)], *words)


def test_eval_on_a_folder_that_is_not_a_dataset(tmp_path, capsys):
    _one_line_error(capsys, ["eval", "--data", str(tmp_path)], "manifest")


def test_demo_with_an_unknown_model_offline(capsys):
    _one_line_error(capsys, ["demo", "--model", "nobody/no-such-model"], "not a preset")


# ---- arrays handed to the stages -----------------------------------------------------------

@pytest.mark.parametrize(
    ("audio", "words"),
    [
        (torch.zeros(2, 3, 16_000), "shape"),
        (torch.zeros(10), "fewer than one hop"),
        (torch.zeros(16_000, dtype=torch.int16), "float samples"),
    ],
    ids=["3-d", "too-short", "integer"],
)
def test_log_mel_refuses(audio, words):
    with pytest.raises(ValueError, match=words):
        log_mel_spectrogram(audio, 80)


def test_projector_refuses_frames_of_another_width_or_rank():
    projector = AudioProjector(512, 576, 5)
    with pytest.raises(ValueError, match="512-dim encoder frames"):
        projector(torch.zeros(1, 150, 1280))  # whisper-large-v3 frames into a whisper-base projector
    with pytest.raises(ValueError, match="unsqueeze"):
        stack_frames(torch.zeros(150, 512), 5)  # the batch axis forgotten


def test_merge_refuses_embeddings_of_another_width():
    embed = torch.nn.Embedding(100, 576)
    ids, mask = torch.zeros(1, 8, dtype=torch.long), torch.zeros(1, 8, dtype=torch.bool)
    mask[0, 2:5] = True
    with pytest.raises(ValueError, match="3584-dim but this LLM's are 576-dim"):
        merge_audio(embed, ids, mask, torch.zeros(1, 3, 3584))


@pytest.mark.slow
def test_encoder_refuses_a_spectrogram_of_the_wrong_size(embedded_model):
    with pytest.raises(ValueError, match=r"\(batch, 80, 3000\)"):
        encode(embedded_model.audio_encoder, torch.zeros(1, 128, 3000), 10)  # large-v3's 128 mels
    with pytest.raises(ValueError, match=r"\(batch, 80, 3000\)"):
        encode(embedded_model.audio_encoder, torch.zeros(80, 3000), 10)  # no batch axis


@pytest.mark.slow
def test_prompt_without_its_audio_placeholder(embedded_model):
    with pytest.raises(ValueError, match="exactly once"):
        build_prompt(embedded_model.tokenizer, 30, "Transcribe the speech:")


# ---- audio that is unusual but fine --------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize(
    "audio",
    [
        np.zeros(3 * SAMPLE_RATE, np.float32),  # silence
        (load_clip("0880").audio * 32767).astype(np.int16),  # integer PCM
        np.stack([load_clip("0880").audio] * 2, axis=1),  # stereo
    ],
    ids=["silence", "int16", "stereo"],
)
def test_unusual_audio_is_transcribed(embedded_model, audio):
    assert isinstance(embedded_model.transcribe(audio), str)


@pytest.mark.slow
def test_other_rates_and_long_audio(embedded_model):
    clip = load_clip("0880").audio
    at_44k = embedded_model.trace(np.interp(np.arange(0, len(clip), 16 / 44.1), np.arange(len(clip)), clip), 44_100)
    assert at_44k.shapes()["encoder"] == (150, 512)  # resampled to 16 kHz: the same 3 s
    with pytest.raises(ValueError, match="use transcribe"):
        embedded_model.trace(np.zeros(N_SAMPLES + SAMPLE_RATE, np.float32))


# ---- corrupt files on disk -----------------------------------------------------------------

@pytest.mark.slow
def test_truncated_projector_checkpoint(embedded_model, tmp_path):
    embedded_model.save_pretrained(tmp_path)
    data = (tmp_path / PROJECTOR_FILE).read_bytes()
    (tmp_path / PROJECTOR_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable projector checkpoint"):
        ASRModel.from_pretrained(tmp_path, device="cpu")


def test_feature_cache_that_is_not_one(tmp_path):
    with pytest.raises(ValueError) as err:
        FeatureCache(tmp_path)
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_truncated_training_checkpoint(embedded_model, tmp_path):
    clip = load_clip("0880")
    features = FeatureCache.build(embedded_model, [(clip.audio, clip.text)], tmp_path / "features")
    out = tmp_path / "run"
    out.mkdir()
    (out / CHECKPOINT_FILE).write_bytes(b"PK\x03\x04 not a whole checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        train(embedded_model, features, TrainConfig(ctc_steps=0, steps=1, batch_size=1), out)
