"""ASRConfig: presets, round trips, bad configs; the seed architecture on the meta device."""

from __future__ import annotations

import pytest
import torch
from transformers import WhisperConfig

from tiny_audio import ASRConfig, ASRModel
from tiny_audio.presets import choose_preset


def test_seed_preset_matches_the_seed_lesson():
    config = ASRConfig.from_pretrained("seed")
    assert config.audio_model_id == "openai/whisper-large-v3"
    assert config.text_model_id == "Qwen/Qwen2-7B-Instruct"
    assert (config.encoder_dim, config.llm_dim, config.audio_downsample_rate) == (1280, 3584, 5)
    assert config.n_mels == 128
    assert config.text_config.model_type == "qwen2"


def test_embedded_preset():
    config = ASRConfig.from_pretrained("embedded")
    assert (config.encoder_dim, config.llm_dim, config.audio_downsample_rate) == (512, 576, 5)
    assert config.n_mels == 80


def test_seed_model_builds_on_meta_with_only_the_projector_trainable():
    with torch.device("meta"):
        model = ASRModel(ASRConfig.from_pretrained("seed"))
    assert type(model.audio_encoder).__name__ == "WhisperModel"
    assert type(model.text_decoder).__name__ == "Qwen2ForCausalLM"
    trainable = {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"audio_projector"}
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 22_951_168
    assert not model.audio_encoder.training and not model.text_decoder.training


def test_config_round_trips_through_a_folder(tmp_path):
    config = ASRConfig.from_pretrained("seed")
    config.audio_downsample_rate = 4
    config.save_pretrained(tmp_path)
    again = ASRConfig.from_pretrained(tmp_path)
    assert again.audio_downsample_rate == 4
    assert again.audio_config.to_dict() == config.audio_config.to_dict()
    assert again.text_config.to_dict() == config.text_config.to_dict()


def test_unknown_name_offline_is_one_clear_line():
    with pytest.raises(ValueError) as err:
        ASRConfig.from_pretrained("no-such-org/no-such-model")
    message = str(err.value)
    assert "\n" not in message
    assert "seed, embedded" in message and "no-such-org/no-such-model" in message


def test_missing_folder_is_one_clear_line(tmp_path):
    with pytest.raises(ValueError, match="not a preset"):
        ASRConfig.from_pretrained(tmp_path / "nothing-here")


def test_dims_that_do_not_match_the_encoder_are_refused():
    with pytest.raises(ValueError, match="set encoder_dim=512"):
        ASRConfig(encoder_dim=1280, audio_config=WhisperConfig(d_model=512))


def test_dims_that_do_not_match_the_llm_are_refused():
    text_config = ASRConfig.from_pretrained("embedded").text_config
    with pytest.raises(ValueError, match="set llm_dim=576"):
        ASRConfig(llm_dim=3584, text_config=text_config)


@pytest.mark.parametrize("rate", [0, -5, 2.5])
def test_bad_downsample_rate(rate):
    with pytest.raises(ValueError, match="positive integer"):
        ASRConfig(audio_downsample_rate=rate)


def test_prompt_needs_one_placeholder():
    with pytest.raises(ValueError, match="exactly once"):
        ASRConfig(prompt="Transcribe this.")


def test_model_needs_sub_configs():
    with pytest.raises(ValueError, match="from_pretrained"):
        ASRModel(ASRConfig())


def test_cpu_machines_default_to_the_embedded_preset():
    assert choose_preset(torch.device("cpu")) == "embedded"


@pytest.mark.parametrize("padding", [-1.0, "5", True])
def test_bad_encoder_padding(padding):
    with pytest.raises(ValueError, match="encoder_padding_seconds must be None"):
        ASRConfig(encoder_padding_seconds=padding)


def test_encoder_padding_is_saved_with_the_config(tmp_path):
    config = ASRConfig.from_pretrained("embedded")
    assert config.encoder_padding_seconds == 5.0  # the shipped projector trained on frames encoded this way
    config.encoder_padding_seconds = 2.0
    config.save_pretrained(tmp_path)
    assert ASRConfig.from_pretrained(tmp_path).encoder_padding_seconds == 2.0


@pytest.mark.parametrize("seconds", [2.0, 31.0, "4", True, -3])
def test_bad_max_segment_seconds_is_one_line(seconds):
    with pytest.raises(ValueError, match=r"max_segment_seconds must be None \(30 s windows\) or seconds in \(2, 30\]"):
        ASRConfig(max_segment_seconds=seconds)


@pytest.mark.parametrize("beams", [0, -1, 1.5, "4", True])
def test_bad_beams_is_one_line(beams):
    with pytest.raises(ValueError, match=r"beams must be a positive integer \(1: greedy decoding\)"):
        ASRConfig(beams=beams)


def test_beams_is_saved_with_the_config(tmp_path):
    assert ASRConfig().beams == 1  # greedy unless a model says otherwise
    ASRConfig(beams=4).save_pretrained(tmp_path)
    assert ASRConfig.from_pretrained(tmp_path).beams == 4


@pytest.mark.parametrize("scale", [0.5, 0, -1, 11, "1.5", True, None])
def test_bad_guidance_scale_is_one_line(scale):
    with pytest.raises(ValueError, match=r"guidance_scale must be a number from 1 \(off\) to 10, got"):
        ASRConfig(guidance_scale=scale)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("ctc_fusion_weight", -0.5, r"ctc_fusion_weight must be a number from 0 \(off\) to 10, got -0.5"),
    ("ctc_fusion_weight", 11, r"ctc_fusion_weight must be a number from 0 \(off\) to 10, got 11"),
    ("ctc_fusion_weight", "1", r"ctc_fusion_weight must be a number from 0 \(off\) to 10, got '1'"),
    ("ctc_fusion_weight", float("nan"), r"ctc_fusion_weight must be a number from 0 \(off\) to 10, got nan"),
    ("ctc_fusion_scale", 0, r"ctc_fusion_scale must be a positive number, got 0"),
    ("ctc_fusion_blank", None, r"ctc_fusion_blank must be a number, got None"),
])
def test_bad_ctc_fusion_settings_are_one_line(field, value, message):
    with pytest.raises(ValueError, match=message):
        ASRConfig(**{field: value})


def test_ctc_fusion_is_saved_with_the_config(tmp_path):
    assert ASRConfig().ctc_fusion_weight == 0.0  # off unless a model says otherwise
    assert ASRConfig.from_pretrained("embedded").ctc_fusion_weight == 1.0
    ASRConfig(ctc_fusion_weight=0.5, ctc_fusion_scale=3.0, ctc_fusion_blank=1.0).save_pretrained(tmp_path)
    saved = ASRConfig.from_pretrained(tmp_path)
    assert (saved.ctc_fusion_weight, saved.ctc_fusion_scale, saved.ctc_fusion_blank) == (0.5, 3.0, 1.0)


def test_guidance_scale_is_saved_with_the_config(tmp_path):
    assert ASRConfig().guidance_scale == 1.0  # off unless a model says otherwise
    ASRConfig(guidance_scale=1.5).save_pretrained(tmp_path)
    assert ASRConfig.from_pretrained(tmp_path).guidance_scale == 1.5


def test_max_segment_seconds_is_saved_with_the_config(tmp_path):
    config = ASRConfig(max_segment_seconds=4.5)
    config.save_pretrained(tmp_path)
    assert ASRConfig.from_pretrained(tmp_path).max_segment_seconds == 4.5
    assert ASRConfig().max_segment_seconds is None  # by default only Whisper's 30 s windows
