"""Stage 5: the prompt's audio placeholder, the LLaVA-style merge, greedy generation."""

from __future__ import annotations

import pytest
import torch

from tiny_audio.decoder import AUDIO_TOKEN, build_prompt, generate, merge_audio

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parts(embedded_model):
    return embedded_model.text_decoder, embedded_model.tokenizer


def test_placeholder_expands_to_one_slot_per_audio_token(parts):
    _, tokenizer = parts
    ids, mask = build_prompt(tokenizer, 30)
    assert int(mask.sum()) == 30
    slots = mask.nonzero().flatten()
    assert torch.equal(slots, torch.arange(slots[0], slots[0] + 30))  # one contiguous block
    text = tokenizer.decode(ids)
    assert "<|im_start|>user" in text and text.rstrip().endswith("<|im_start|>assistant")


def test_prompt_must_hold_the_placeholder_once(parts):
    _, tokenizer = parts
    with pytest.raises(ValueError, match="exactly once"):
        build_prompt(tokenizer, 3, prompt=f"{AUDIO_TOKEN} and {AUDIO_TOKEN}")


def test_merge_puts_audio_exactly_at_the_placeholders(parts):
    llm, tokenizer = parts
    ids, mask = build_prompt(tokenizer, 4)
    audio = torch.randn(1, 4, 576)
    merged = merge_audio(llm.get_input_embeddings(), ids[None], mask[None], audio)
    assert merged.shape == (1, len(ids), 576)
    assert torch.equal(merged[0, mask], audio[0])
    text_only = llm.get_input_embeddings()(ids[~mask])
    assert torch.equal(merged[0, ~mask], text_only)


def test_merge_checks_the_counts(parts):
    llm, tokenizer = parts
    ids, mask = build_prompt(tokenizer, 4)
    with pytest.raises(ValueError, match="4 audio slots but the projector made 5"):
        merge_audio(llm.get_input_embeddings(), ids[None], mask[None], torch.randn(1, 5, 576))


def test_generate_answers_a_text_prompt_greedily(parts):
    """With no audio at all, the real LLM answers an ordinary question: the decoder works."""
    llm, tokenizer = parts
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}], tokenize=False, add_generation_prompt=True
    )
    ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
    result = generate(llm, tokenizer, llm.get_input_embeddings()(ids), max_new_tokens=12)
    assert "Paris" in result.text
    assert len(result.tokens) == len(result.token_probs) == len(result.top_tokens)
    assert all(top[0][1] >= top[1][1] for top in result.top_tokens)
    assert torch.allclose(result.token_probs, torch.tensor([top[0][1] for top in result.top_tokens]))
