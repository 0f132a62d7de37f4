"""Sharing a model: Auto classes, the pipeline, the model card, and publishing that fails politely."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
import time

import pytest
import torch
from huggingface_hub import ModelCard, constants
from transformers import AutoConfig, AutoModel, AutoModelForSpeechSeq2Seq, pipeline

from tiny_audio import ASRConfig, ASRModel, load_clip
from tiny_audio.evaluation import evaluate, librivox_items
from tiny_audio.model import PROJECTOR_FILE, register_auto_classes
from tiny_audio.presets import projector_file, training_record
from tiny_audio.publish.hub import (
    CARD_FILE,
    SpeechRecognitionPipeline,
    hub_unavailable,
    model_card,
    publish,
    write_model_card,
)


@pytest.fixture
def saved(tmp_path):
    """A folder as ``save_pretrained`` leaves it for the embedded preset with its shipped
    projector: ``config.json`` + ``model.safetensors`` (no weights are loaded to make it)."""
    folder = tmp_path / "tiny-audio-embedded"
    ASRConfig.from_pretrained("embedded").save_pretrained(folder)
    shutil.copy(projector_file("embedded"), folder / PROJECTOR_FILE)
    return folder


@pytest.fixture(scope="module")
def evaluation():
    """A real evaluation of a transcriber that gets the first clip right and says nothing else."""
    items = librivox_items()
    right = {name: text for name, _, text in items[:1]}
    by_audio = {id(audio): right.get(name, "") for name, audio, _ in items}
    return evaluate(lambda audio: by_audio[id(audio)], items)


# ---- Auto classes ------------------------------------------------------------------------


def test_importing_tiny_audio_registers_config_and_model_with_the_auto_classes():
    assert AutoConfig.for_model("tiny_audio").__class__ is ASRConfig
    assert AutoModel._model_mapping[ASRConfig] is ASRModel
    assert AutoModelForSpeechSeq2Seq._model_mapping[ASRConfig] is ASRModel
    register_auto_classes()  # again: nothing changes, nothing raises
    assert AutoModel._model_mapping[ASRConfig] is ASRModel


def test_auto_config_reads_a_saved_folder(saved):
    config = AutoConfig.from_pretrained(saved)
    assert isinstance(config, ASRConfig)
    assert (config.encoder_dim, config.llm_dim, config.text_model_id) == (512, 576, "HuggingFaceTB/SmolLM2-135M-Instruct")


def test_from_pretrained_names_keywords_it_does_not_take():
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['devise'\]"):
        ASRModel.from_pretrained("embedded", devise="cpu")


@pytest.mark.slow
def test_auto_model_loads_a_saved_model_with_its_projector(embedded_model, tmp_path):
    embedded_model.save_pretrained(tmp_path)
    model = AutoModel.from_pretrained(tmp_path, device="cpu")
    assert isinstance(model, ASRModel) and model.is_trained
    assert model.projector_source == str(tmp_path / PROJECTOR_FILE)
    for name, tensor in embedded_model.audio_projector.state_dict().items():
        assert torch.equal(model.audio_projector.state_dict()[name], tensor), name


@pytest.mark.slow
def test_a_hub_id_loads_config_and_projector_from_the_hugging_face_cache(embedded_model, tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--someone--tiny-audio-test"
    embedded_model.save_pretrained(repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    model = ASRModel.from_pretrained("someone/tiny-audio-test", cache_dir=tmp_path, local_files_only=True, device="cpu")
    assert model.is_trained
    assert torch.equal(model.audio_projector.proj.weight, embedded_model.audio_projector.proj.weight)


# ---- the pipeline ------------------------------------------------------------------------


@pytest.mark.slow
def test_transformers_pipeline_transcribes_a_file_from_a_saved_folder(embedded_model, tmp_path):
    embedded_model.save_pretrained(tmp_path)
    clip = load_clip("0880")
    asr = pipeline("automatic-speech-recognition", model=str(tmp_path),
                   pipeline_class=SpeechRecognitionPipeline, device="cpu")
    assert isinstance(asr.model, ASRModel) and asr.model.is_trained
    assert asr(str(clip.path)) == {"text": embedded_model.transcribe(clip.audio)}


@pytest.mark.slow
def test_the_pipeline_takes_the_audio_dict_of_the_built_in_one(embedded_model):
    asr = pipeline("automatic-speech-recognition", model=embedded_model, pipeline_class=SpeechRecognitionPipeline)
    clip = load_clip("0880")
    expected = embedded_model.transcribe(clip.audio)
    assert asr({"raw": clip.audio, "sampling_rate": 16_000})["text"] == expected
    assert asr({"array": clip.audio, "sampling_rate": 16_000})["text"] == expected
    with pytest.raises(ValueError, match="needs 'raw' \\(or 'array'\\) and 'sampling_rate'"):
        asr({"audio": clip.audio})


def test_the_pipeline_refuses_other_models():
    with pytest.raises(ValueError, match="runs an ASRModel, got Linear"):
        SpeechRecognitionPipeline(torch.nn.Linear(2, 2))


# ---- the model card ------------------------------------------------------------------------


def test_the_card_shows_the_measured_wer_and_the_saved_architecture(saved, evaluation):
    card = model_card(saved, {"LibriVox": evaluation}, repo_id="someone/tiny-audio-embedded",
                      training=training_record())
    metadata = ModelCard(card).data
    assert metadata.base_model == ["openai/whisper-base", "HuggingFaceTB/SmolLM2-135M-Instruct"]
    assert metadata.pipeline_tag == "automatic-speech-recognition"
    assert metadata.eval_results[0].metric_type == "wer"
    assert metadata.eval_results[0].metric_value == round(100 * evaluation.wer, 1)
    assert f"| LibriVox | 5 | {evaluation.wer:.1%} |" in card
    assert "1,478,272" in card and "Linear 2560 -> 576" in card  # the projector, counted from the saved file
    assert f"`{PROJECTOR_FILE}` ({(saved / PROJECTOR_FILE).stat().st_size / 1e6:.1f} MB)" in card
    assert 'AutoModel.from_pretrained("someone/tiny-audio-embedded")' in card
    record = training_record()
    assert f"When it was shipped ({record['wer_measured']}) it measured WER librivox {record['wer']['librivox']:.1%}" in card
    assert f"It took {record['steps']:,} optimizer steps" in card
    assert "```bash\n" + record["command"].split(" && ")[0] + "\n" in card  # one command per line
    assert "final_loss" not in card and "whisper_own_decoder_wer" not in card  # prose, not the record's keys
    assert f"about {round(100 * evaluation.wer)} word errors per 100 spoken words." in card


@pytest.mark.slow
def test_the_cards_own_example_transcribes(saved, evaluation, embedded_model, capsys):
    """The "Use" snippet, run as a reader would copy it (the id here a local folder)."""
    card = model_card(saved, {"LibriVox": evaluation}, repo_id=str(saved))
    snippet = card.split("```python\n")[1].split("```")[0]
    assert ("beam search over 4 candidates, its likeliest tokens rescored by the slots' CTC scores at weight 1, "
            "speech over 6 s cut at its pauses") in card  # the embedded preset's decoding, as measured
    clip = load_clip("0880")
    exec(snippet.replace('"speech.wav"', repr(str(clip.path))), {})
    assert capsys.readouterr().out.strip() == embedded_model.transcribe(clip.audio)


def test_the_card_says_plainly_when_errors_outnumber_words(saved):
    items = librivox_items()[:2]
    babble = evaluate(lambda audio: "the the the the the the the the the the the the the the the the the the "
                      "the the the the the the the the the the the the", items)
    assert babble.wer >= 1
    assert "more errors than words" in model_card(saved, {"babble": babble})


def test_the_card_says_how_long_audio_is_cut(saved, evaluation):
    config = ASRConfig.from_pretrained(saved)
    config.max_segment_seconds = 4.0
    config.save_pretrained(saved)
    assert "Speech longer than 4 s is cut at its pauses" in model_card(saved, {"LibriVox": evaluation})
    config.max_segment_seconds = None
    config.save_pretrained(saved)
    assert "Each 30 s window of audio is transcribed on its own" in model_card(saved, {"LibriVox": evaluation})


def test_write_model_card_writes_readme_and_nothing_else(saved, evaluation):
    before = set(saved.iterdir())
    path = write_model_card(saved, {"LibriVox": evaluation})
    assert path == saved / CARD_FILE
    assert set(saved.iterdir()) - before == {path}
    assert path.read_text() == model_card(saved, {"LibriVox": evaluation})


def test_the_card_needs_a_result_and_a_saved_projector(saved, evaluation, tmp_path):
    with pytest.raises(ValueError, match="at least one measured result"):
        model_card(saved, {})
    (saved / PROJECTOR_FILE).unlink()
    with pytest.raises(ValueError, match="holds no model.safetensors; save the model there"):
        model_card(saved, {"LibriVox": evaluation})
    with pytest.raises(ValueError, match="is not a preset"):
        model_card(tmp_path / "nothing-here", {"LibriVox": evaluation})


# ---- publishing ----------------------------------------------------------------------------


@pytest.fixture
def card_folder(saved, evaluation):
    write_model_card(saved, {"LibriVox": evaluation})
    return saved


@pytest.fixture
def online(monkeypatch):
    """As if HF_HUB_OFFLINE were not set (the tests set it), with no stored token."""
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr("tiny_audio.publish.hub.get_token", lambda: None)


@pytest.fixture
def local_hub():
    """An HTTP server on 127.0.0.1 that refuses every request with 401, like the Hub without
    a valid token; yields its URL."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            body = b'{"error": "Invalid credentials in Authorization header"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _refuse

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_publish_in_offline_mode_is_one_line(card_folder, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    published = publish(card_folder, "someone/tiny-audio-embedded")
    assert published.url is None
    assert str(published) == "not published: HF_HUB_OFFLINE is set, so nothing may reach the Hub; unset it, then publish again"


def test_publish_without_a_reachable_hub_says_so_quickly(card_folder, online):
    started = time.perf_counter()
    published = publish(card_folder, "someone/tiny-audio-embedded", endpoint=f"http://127.0.0.1:{_closed_port()}")
    assert time.perf_counter() - started < 2
    assert published.url is None
    assert published.message.startswith("not published: 127.0.0.1 cannot be reached (no internet?)")


def test_publish_without_a_token_says_how_to_log_in(card_folder, online, local_hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert "run `hf auth login`" in hub_unavailable(local_hub)
    assert "no Hugging Face token" in publish(card_folder, "someone/tiny-audio-embedded", endpoint=local_hub).message


def test_publish_refused_by_the_hub_is_one_line(card_folder, online, local_hub):
    published = publish(card_folder, "someone/tiny-audio-embedded", token="hf_not_a_real_token", endpoint=local_hub)
    assert published.url is None
    assert published.message.startswith("not published: the Hub refused (")
    assert "401" in published.message and "\n" not in published.message, published.message


def test_publish_checks_its_arguments_before_the_network(saved, card_folder):
    with pytest.raises(ValueError, match="is not a Hub repository id"):
        publish(card_folder, "not a/valid id")
    (saved / CARD_FILE).unlink()
    with pytest.raises(ValueError, match="lacks README.md; write it with model.save_pretrained"):
        publish(saved, "someone/tiny-audio-embedded")



def test_a_record_never_measured_again_says_when_it_was_measured():
    from tiny_audio.publish.hub import _training_paragraphs

    record = {"wer": {"librivox": 0.5}, "whisper_own_decoder_wer": {"librivox": 0.01}}
    said = "\n".join(_training_paragraphs(record))
    assert "When it was shipped it measured WER librivox 50.0% (Whisper's own decoder on the same clips: librivox 1.0%)." in said
    record["wer_measured"] = "2026-12-01, greedy decoding"  # shipped records say how they were measured
    said = "\n".join(_training_paragraphs(record))
    assert "When it was shipped (2026-12-01, greedy decoding) it measured WER librivox 50.0% (Whisper's" in said
    record |= {"wer": {"librivox": 0.4}, "wer_when_shipped": {"librivox": 0.5}, "wer_measured": "2026-12-02, greedy decoding"}
    said = "\n".join(_training_paragraphs(record))
    assert "Measured on 2026-12-02, greedy decoding: WER librivox 40.0%; when it was shipped: librivox 50.0%" in said
