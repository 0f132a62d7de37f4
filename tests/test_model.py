"""The embedded preset on its real weights: every stage's shape, frozen parts, save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from tiny_audio import N_SAMPLES, SAMPLE_RATE, ASRModel, encode, load_clip, log_mel_spectrogram
from tiny_audio.model import PROJECTOR_FILE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trace(embedded_model):
    return embedded_model.trace(load_clip("0880").audio)


def test_three_seconds_flow_through_every_stage(trace):
    assert trace.audio.shape == (47_840,)  # the 2.99 s clip
    assert trace.mel.shape == (80, 3000) and trace.n_mel_frames == 299
    assert trace.encoder_frames.shape == (150, 512)
    assert trace.stacked.shape == (30, 2560)
    assert trace.projected.shape == (30, 576)
    assert int(trace.audio_mask.sum()) == 30
    assert trace.prompt_ids.shape == trace.audio_mask.shape
    assert len(trace.generated_tokens) == len(trace.generated_ids) == len(trace.token_probs) == len(trace.top_tokens)
    assert ((trace.token_probs > 0) & (trace.token_probs <= 1)).all()
    assert "(150, 512)" in str(trace) and "30 audio placeholders" in str(trace)


def test_encoder_and_decoder_are_frozen_projector_is_not(embedded_model):
    assert not any(p.requires_grad for p in embedded_model.audio_encoder.parameters())
    assert not any(p.requires_grad for p in embedded_model.text_decoder.parameters())
    assert all(p.requires_grad for p in embedded_model.audio_projector.parameters())
    assert not embedded_model.audio_encoder.training and not embedded_model.text_decoder.training
    assert sum(p.numel() for p in embedded_model.audio_projector.parameters()) == 1_478_272


def test_whispers_own_decoder_is_not_kept(embedded_model):
    assert embedded_model.audio_encoder.decoder is None  # never run: its 52M parameters are dropped on load
    assert embedded_model.parameter_counts()["encoder"] == sum(p.numel() for p in embedded_model.audio_encoder.parameters())
    assert embedded_model.parameter_counts()["encoder"] == 20_590_592


def test_greedy_decoding_is_reproducible(embedded_model, trace):
    again = embedded_model.trace(load_clip("0880").audio)
    assert again.text == trace.text
    assert torch.equal(again.generated_ids, trace.generated_ids)


def test_the_embedded_preset_loads_its_shipped_trained_projector(embedded_model):
    from tiny_audio.presets import PRESET_DIR, training_record

    assert embedded_model.is_trained
    assert embedded_model.projector_source == str(PRESET_DIR / "embedded.safetensors")
    record = training_record("embedded")
    assert "tiny-audio prepare-data" in record["command"] and set(record["wer"]) == {"librivox", "synthetic test"}
    stages = [point["stage"] for point in record["history"]]
    assert stages[0] == "ctc" and "llm" in stages and record["history"][-1]["step"] == record["steps"]
    held_out_stages = {point["stage"] for point in record["history"] if "eval_loss" in point}
    assert held_out_stages == {"ctc", "llm"}  # lesson 3 draws the held-out loss next to the training loss
    with pytest.raises(ValueError, match="ships no trained projector"):
        training_record("seed")


def test_a_fresh_projector_is_the_same_every_load_and_reported_untrained(embedded_model):
    fresh = ASRModel.from_pretrained("embedded", device="cpu", fresh_projector=True)
    again = embedded_model.new_projector()
    assert not fresh.is_trained
    for a, b, trained in zip(fresh.audio_projector.parameters(), again.parameters(),
                             embedded_model.audio_projector.parameters()):
        assert torch.equal(a, b)
        assert not torch.equal(a, trained)


def test_save_pretrained_writes_config_and_projector_only_and_loads_back_exactly(embedded_model, tmp_path):
    embedded_model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", PROJECTOR_FILE]
    saved = load_file(tmp_path / PROJECTOR_FILE)
    assert set(saved) == {f"audio_projector.{k}" for k in embedded_model.audio_projector.state_dict()}
    assert (tmp_path / PROJECTOR_FILE).stat().st_size < 7 * 2**20  # 1.5 M float32 parameters
    assert json.loads((tmp_path / "config.json").read_text())["audio_model_id"] == "openai/whisper-base"

    loaded = ASRModel.from_pretrained(tmp_path, device="cpu")
    assert loaded.is_trained
    for name, tensor in embedded_model.audio_projector.state_dict().items():
        assert torch.equal(loaded.audio_projector.state_dict()[name], tensor), name
    clip = load_clip("0930").audio
    assert loaded.trace(clip).text == embedded_model.trace(clip).text


def test_corrupt_projector_checkpoint_is_one_clear_line(embedded_model, tmp_path):
    embedded_model.save_pretrained(tmp_path)
    (tmp_path / PROJECTOR_FILE).write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="not a readable projector checkpoint") as err:
        ASRModel.from_pretrained(tmp_path, device="cpu")
    assert "\n" not in str(err.value)


def test_projector_checkpoint_for_another_shape_is_refused(embedded_model, tmp_path):
    embedded_model.save_pretrained(tmp_path)
    save_file({"audio_projector.proj.weight": torch.zeros(576, 2048)}, tmp_path / PROJECTOR_FILE)
    with pytest.raises(ValueError, match="does not hold a projector for this config"):
        ASRModel.from_pretrained(tmp_path, device="cpu")


def test_trace_refuses_more_than_one_window(embedded_model):
    with pytest.raises(ValueError, match="use transcribe"):
        embedded_model.trace(np.zeros(N_SAMPLES + 1, dtype=np.float32))


def test_listen_then_write_is_what_trace_does(embedded_model):
    clip = load_clip("0880")
    mel, frames = embedded_model.listen(clip.audio)
    assert mel.shape == (80, N_SAMPLES // 160) and frames.shape == (1, 150, 512)
    audio_tokens = embedded_model.audio_projector(frames)  # (1, 30, 576)
    ids, mask, generation = embedded_model.write(audio_tokens, clip.duration)
    trace = embedded_model.trace(clip.audio)
    assert generation.text == trace.text and torch.equal(ids, trace.prompt_ids)


def test_write_takes_another_prompt_and_checks_it(embedded_model):
    audio_tokens = embedded_model.audio_projector(embedded_model.listen(load_clip("0880").audio)[1])
    ids, mask, _ = embedded_model.write(audio_tokens, 3.0, prompt="Repeat after me: <audio>")
    assert int(mask.sum()) == 30 and "Repeat after me:" in embedded_model.tokenizer.decode(ids[~mask])
    with pytest.raises(ValueError, match="exactly once"):
        embedded_model.write(audio_tokens, 3.0, prompt="Transcribe this.")


def test_transcribe_goes_window_by_window_and_keeps_their_order(embedded_model, monkeypatch):
    monkeypatch.setattr(embedded_model.config, "max_segment_seconds", None)  # whole 30 s windows, no cuts at pauses
    clips = [load_clip(i).audio for i in range(5)]
    long_audio = np.concatenate(clips * 2)  # ~49 s: two windows
    windows = [long_audio[:N_SAMPLES], long_audio[N_SAMPLES:]]
    expected = " ".join(embedded_model.trace(w).text for w in windows)
    calls = []
    real_listen = embedded_model.get_audio_features
    monkeypatch.setattr(embedded_model, "get_audio_features", lambda ws: calls.append([len(w) for w in ws]) or real_listen(ws))
    assert embedded_model.transcribe(long_audio, batch_size=1) == expected
    assert calls == [[N_SAMPLES], [len(long_audio) - N_SAMPLES]]
    calls.clear()
    assert embedded_model.transcribe(long_audio) == expected  # both windows in one batch
    assert calls == [[N_SAMPLES, len(long_audio) - N_SAMPLES]]


def test_a_list_is_transcribed_in_batches_as_one_at_a_time(embedded_model, monkeypatch):
    monkeypatch.setattr(embedded_model.config, "max_segment_seconds", None)  # trace reads a clip whole, uncut
    audio = [load_clip(i).audio for i in range(5)]
    one_by_one = [embedded_model.trace(a).text for a in audio]
    assert embedded_model.transcribe(audio, batch_size=3) == one_by_one
    assert embedded_model.transcribe([load_clip(0).path]) == one_by_one[:1]  # paths too


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "8"])
def test_transcribe_refuses_a_bad_batch_size(embedded_model, batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        embedded_model.transcribe(load_clip(0).audio, batch_size=batch_size)


def test_encoder_padding_in_the_config_is_what_listen_uses(embedded_model, monkeypatch):
    audio = load_clip("0880").audio
    monkeypatch.setattr(embedded_model.config, "encoder_padding_seconds", 2.0)
    _, frames = embedded_model.listen(audio)
    mel = log_mel_spectrogram(torch.from_numpy(audio), 80)[None]
    assert torch.equal(frames, encode(embedded_model.audio_encoder, mel, 150, padding_seconds=2.0))
    assert isinstance(embedded_model.transcribe(audio), str)


def test_an_unloaded_model_says_how_to_load(embedded_model):
    with torch.device("meta"):
        bare = ASRModel(embedded_model.config)
    with pytest.raises(ValueError, match="from_pretrained"):
        bare.trace(np.zeros(16_000, dtype=np.float32))


def test_parameter_counts_of_the_seed_architecture_on_meta():
    from tiny_audio.config import ASRConfig

    with torch.device("meta"):
        seed = ASRModel(ASRConfig.from_pretrained("seed"))
    counts = seed.parameter_counts()
    assert counts == {"encoder": 636_968_960, "projector": 22_951_168, "decoder": 7_615_616_512,
                      "trainable": 22_951_168}


def test_a_fresh_projector_starts_at_the_scale_of_the_llms_embeddings():
    fresh = ASRModel.from_pretrained("embedded", device="cpu", fresh_projector=True)
    table = fresh.text_decoder.get_input_embeddings().weight
    expected = table.pow(2).mean().sqrt().item()
    # within 0.5%: embedding_rms sums in float32 (no float64 copy of a 7B model's table)
    assert fresh.audio_projector.ln_post.weight.detach() == pytest.approx(torch.full((576,), expected), rel=5e-3)
    out = fresh.audio_projector(torch.randn(1, 150, 512))
    assert out.pow(2).mean().sqrt().item() == pytest.approx(expected, rel=5e-3)


def test_nearest_tokens_reads_the_llms_own_embeddings_back_whatever_their_length(embedded_model):
    from tiny_audio.explore import nearest_tokens

    table = embedded_model.text_decoder.get_input_embeddings().weight.detach()
    ids = embedded_model.tokenizer(" he was not a young man.", add_special_tokens=False).input_ids
    nearest = nearest_tokens(embedded_model, 3.0 * table[ids][None], k=2)  # (1, n_slots, llm_dim), as projected
    assert nearest.closest() == [embedded_model.tokenizer.decode([i]) for i in ids]
    assert nearest.cosines.shape == (len(ids), 2)
    torch.testing.assert_close(nearest.cosines[:, 0], torch.ones(len(ids)))  # cosine ignores the length...
    assert (nearest.cosines[:, 1] < 1).all()
    torch.testing.assert_close(nearest.norms, 3.0 * table[ids].float().norm(dim=-1))  # ...which is kept apart
    assert nearest.token_norm == pytest.approx(float(table.float().norm(dim=-1).median()))
    with pytest.raises(ValueError, match="for one clip"):
        nearest_tokens(embedded_model, torch.zeros(2, 3, table.shape[1]))


def test_with_max_segment_seconds_long_speech_is_written_piece_by_piece(embedded_model, monkeypatch):
    clip = load_clip("0870")  # 7.1 s
    assert embedded_model.config.max_segment_seconds == 6.0  # the embedded preset cuts it at its pauses
    pieces = embedded_model.pieces(clip.audio)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(clip.audio)
    assert all(end == start for (_, end), (start, _) in zip(pieces, pieces[1:]))  # together they cover the clip
    assert len(pieces) >= 2 and all(end - start <= 6.0 * SAMPLE_RATE for start, end in pieces)
    monkeypatch.setattr(embedded_model.config, "max_segment_seconds", None)
    assert embedded_model.pieces(clip.audio) == [(0, len(clip.audio))]  # one 30 s window
    monkeypatch.setattr(embedded_model.config, "max_segment_seconds", 3.5)
    pieces = embedded_model.pieces(clip.audio)
    assert len(pieces) >= 3 and all(end - start <= 3.5 * SAMPLE_RATE for start, end in pieces)
    alone = [embedded_model.transcribe(clip.audio[start:end]) for start, end in pieces]
    assert embedded_model.transcribe(clip.audio) == " ".join(text for text in alone if text)


def test_decoding_settings_hold_inside_the_block_only(embedded_model):
    """``decoding`` changes how the model writes for a while and puts the preset's settings back,
    also when the block fails."""
    shipped = embedded_model.config.beams, embedded_model.config.ctc_fusion_weight
    assert shipped == (4, 1.0)
    with embedded_model.decoding(beams=1, ctc_fusion_weight=0.0) as model:
        assert (model.config.beams, model.config.ctc_fusion_weight) == (1, 0.0)
    assert (embedded_model.config.beams, embedded_model.config.ctc_fusion_weight) == shipped
    with pytest.raises(RuntimeError), embedded_model.decoding(beams=2):
        raise RuntimeError
    assert embedded_model.config.beams == 4


def test_decoding_rejects_bad_settings_in_one_line(embedded_model):
    with pytest.raises(ValueError, match="decoding\\(\\) sets only beams, guidance_scale"):
        with embedded_model.decoding(temperature=0.7):
            pass
    with pytest.raises(ValueError, match="guidance_scale must be a number from 1"):
        with embedded_model.decoding(guidance_scale=0.2):
            pass
    assert embedded_model.config.guidance_scale == 1.0
