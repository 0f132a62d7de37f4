"""Stage 5: the prompt's audio placeholder, the LLaVA-style merge, greedy generation."""

from __future__ import annotations

import pytest
import torch

from tiny_audio.decoder import AUDIO_TOKEN, PromptPrefix, build_prompt, generate, merge_audio, stop_token_ids, NO_REPEAT_NGRAM

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
    [result] = generate(llm, tokenizer, llm.get_input_embeddings()(ids), max_new_tokens=12)
    assert "Paris" in result.text
    assert len(result.tokens) == len(result.token_probs) == len(result.top_tokens)
    assert all(top[0][1] >= top[1][1] for top in result.top_tokens)
    assert torch.allclose(result.token_probs, torch.tensor([top[0][1] for top in result.top_tokens]))


def test_a_transcript_ends_at_the_first_line_break(parts):
    """Asked for a list, the LLM would write several lines; a transcript is one line."""
    llm, tokenizer = parts
    stops = stop_token_ids(tokenizer)
    assert stops[0] == tokenizer.eos_token_id and tokenizer.convert_tokens_to_ids("\u010a") in stops  # "\n"
    assert all("\n" in tokenizer.decode([i]) for i in stops[1:])
    [listing] = generate(llm, tokenizer, _prompts(llm, tokenizer, ["List three colours, one per line."]), 40)
    assert listing.text and "\n" not in listing.text
    assert not set(listing.token_ids.tolist()) & set(stops)


def test_a_transcript_never_repeats_three_tokens(parts):
    """Greedy decoding of a weak projector's slots can loop ("J. J. J. ..."); no n-gram of
    NO_REPEAT_NGRAM tokens is written twice."""
    llm, tokenizer = parts
    [looped] = generate(llm, tokenizer, _prompts(llm, tokenizer, ["Write the word 'go' fifty times."]), 40)
    ids = looped.token_ids.tolist()
    grams = [tuple(ids[i : i + NO_REPEAT_NGRAM]) for i in range(len(ids) - NO_REPEAT_NGRAM + 1)]
    assert len(ids) > NO_REPEAT_NGRAM and len(grams) == len(set(grams))


def _prompts(llm, tokenizer, questions):
    """Chat prompts asking ``questions``, embedded: a list of ``(n_prompt, llm_dim)``."""
    embeds = []
    for question in questions:
        text = tokenizer.apply_chat_template([{"role": "user", "content": question}], tokenize=False,
                                             add_generation_prompt=True)
        embeds.append(llm.get_input_embeddings()(torch.tensor(tokenizer(text, add_special_tokens=False)["input_ids"])))
    return embeds


QUESTIONS = ["What is the capital of France?", "Name a colour.", "Count from one to five, in words, please."]


def test_a_batch_writes_what_each_prompt_writes_alone(parts):
    llm, tokenizer = parts
    prompts = _prompts(llm, tokenizer, QUESTIONS)
    alone = [generate(llm, tokenizer, [p], 20)[0] for p in prompts]
    together = generate(llm, tokenizer, prompts, [20, 20, 6])  # different lengths, different limits
    assert [g.text for g in together[:2]] == [g.text for g in alone[:2]]
    assert torch.equal(together[2].token_ids, alone[2].token_ids[:6])
    for a, b in zip(alone[:2], together[:2]):
        assert torch.allclose(a.token_probs, b.token_probs, atol=1e-4)


def test_the_shared_prefix_cache_changes_nothing_but_the_work(parts):
    llm, tokenizer = parts
    prompts = _prompts(llm, tokenizer, QUESTIONS)
    shared = 0
    while all(torch.equal(p[shared], prompts[0][shared]) for p in prompts):
        shared += 1
    ids = torch.tensor(tokenizer(tokenizer.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False),
                                 add_special_tokens=False)["input_ids"][:shared])
    prefix = PromptPrefix.build(llm, ids)
    assert prefix.cache.get_seq_length() == shared > 5  # the system prompt and the user turn's start
    without = generate(llm, tokenizer, prompts, 20)
    with_prefix = generate(llm, tokenizer, prompts, 20, prefix=prefix)
    assert [g.text for g in with_prefix] == [g.text for g in without]
    assert prefix.cache.get_seq_length() == shared  # generation worked on a copy
    other = _prompts(llm, tokenizer, ["Hi"])[0][shared:]
    with pytest.raises(ValueError, match="does not begin with the prefix"):
        generate(llm, tokenizer, [other], 5, prefix=prefix)


def test_beam_search_in_a_batch_with_the_prefix_cache(parts):
    """Beam search writes in a batch, over the shared prefix, what it writes for each prompt
    alone; where it writes what greedy decoding writes, it reports the same probabilities
    (they are read again for the winning beam, not taken from the search's steps)."""
    llm, tokenizer = parts
    prompts = _prompts(llm, tokenizer, QUESTIONS)
    ids = torch.tensor(tokenizer(tokenizer.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False),
                                 add_special_tokens=False)["input_ids"][:5])
    beams = generate(llm, tokenizer, prompts, 20, prefix=PromptPrefix.build(llm, ids), num_beams=3)
    alone = [generate(llm, tokenizer, [p], 20, num_beams=3)[0] for p in prompts]
    assert [g.text for g in beams] == [g.text for g in alone]
    [greedy] = generate(llm, tokenizer, prompts[:1], 20)
    assert beams[0].text == greedy.text and "Paris" in greedy.text
    assert torch.allclose(beams[0].token_probs, greedy.token_probs, atol=1e-4)
    assert all(len(g.tokens) == len(g.token_probs) == len(g.top_tokens) for g in beams)


def test_generate_wants_one_limit_per_prompt(parts):
    llm, tokenizer = parts
    with pytest.raises(ValueError, match="one limit per prompt"):
        generate(llm, tokenizer, _prompts(llm, tokenizer, QUESTIONS[:2]), [5])
