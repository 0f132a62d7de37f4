"""Stage 5: the prompt's audio placeholder, the LLaVA-style merge, greedy generation."""

from __future__ import annotations

import pytest
import torch

from transformers import GenerationConfig, LogitsProcessor

from tiny_audio.ctc import SlotScores
from tiny_audio.decoder import (
    AUDIO_TOKEN,
    NO_REPEAT_NGRAM,
    AudioGuidance,
    PromptPrefix,
    build_prompt,
    embedding_rms,
    generate,
    merge_audio,
    stop_token_ids,
    token_embeddings,
)

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


def _ids(tokenizer, question):
    text = tokenizer.apply_chat_template([{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True)
    return torch.tensor(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_guidance_follows_its_formula_step_by_step(parts):
    """Greedy decoding with AudioGuidance writes, token by token, the argmax of
    cond + (scale - 1) * (cond - uncond), each side read afresh by the LLM."""
    llm, tokenizer = parts
    [prompt], uncond_ids, scale = _prompts(llm, tokenizer, QUESTIONS[:1]), _ids(tokenizer, QUESTIONS[1]), 2.0
    [guided] = generate(llm, tokenizer, [prompt], 8, guidance=(uncond_ids, scale))
    written = []
    with torch.no_grad():
        for _ in range(8):
            new = torch.tensor(written, dtype=torch.long)
            cond = llm(inputs_embeds=torch.cat([prompt, llm.get_input_embeddings()(new)])[None]).logits[0, -1]
            uncond = llm(input_ids=torch.cat([uncond_ids, new])[None]).logits[0, -1]
            cond, uncond = cond.log_softmax(-1), uncond.log_softmax(-1)
            written.append(int((cond + (scale - 1) * (cond - uncond)).argmax()))
    n = len(guided.token_ids)
    assert n > 2 and guided.token_ids.tolist() == written[:n]
    [plain] = generate(llm, tokenizer, [prompt], 8)
    assert guided.text != plain.text  # the guidance changed what was written


class _GuidanceWithoutCache(LogitsProcessor):
    """AudioGuidance's arithmetic with the unconditional side read from scratch every step:
    right under any reordering of beams, slowly."""

    def __init__(self, llm, unconditional_ids, scale):
        self.llm, self.unconditional_ids, self.scale = llm, unconditional_ids, scale

    def __call__(self, input_ids, scores):
        cond = scores.float().log_softmax(-1)
        ids = torch.cat([self.unconditional_ids.expand(len(input_ids), -1), input_ids], dim=1)
        uncond = self.llm(input_ids=ids).logits[:, -1].float().log_softmax(-1)
        return (cond + (self.scale - 1) * (cond - uncond)).masked_fill(torch.isinf(cond), -torch.inf)


def test_guidance_keeps_its_cache_in_step_with_the_beams(parts):
    """Beam search reorders its rows every step; the guidance's cache follows them, so beam
    search writes what it writes with the unconditional side read from scratch."""
    llm, tokenizer = parts
    prompts = _prompts(llm, tokenizer, QUESTIONS[::2])
    uncond_ids = _ids(tokenizer, QUESTIONS[1])
    config = GenerationConfig(do_sample=False, num_beams=3, max_new_tokens=12, pad_token_id=tokenizer.eos_token_id)
    length = max(len(p) for p in prompts)
    embeds = torch.stack([torch.cat([p.new_zeros(length - len(p), p.shape[-1]), p]) for p in prompts])
    mask = torch.stack([torch.arange(length) >= length - len(p) for p in prompts]).long()
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    runs = [
        llm.generate(inputs_embeds=embeds, attention_mask=mask, position_ids=position_ids, generation_config=config,
                     logits_processor=[guidance(llm, uncond_ids, 1.5)])
        for guidance in (AudioGuidance, _GuidanceWithoutCache)
    ]
    assert torch.equal(runs[0], runs[1])
    guided = generate(llm, tokenizer, prompts, 12, num_beams=3, guidance=(uncond_ids, 1.5))
    assert [g.text for g in guided] == [generate(llm, tokenizer, [p], 12, num_beams=3, guidance=(uncond_ids, 1.5))[0].text
                                        for p in prompts]  # a batch writes what each prompt writes alone


def _spelled_slots(model, sentence):
    """Audio slots that spell ``sentence`` exactly: each token's own embedding, then a zero
    vector (which scores below the blank), as a CTC-trained projector's output would."""
    table = token_embeddings(model.text_decoder).detach()
    ids = model.tokenizer(" " + sentence, add_special_tokens=False)["input_ids"]
    return torch.stack([row for i in ids for row in (table[i], torch.zeros_like(table[i]))])  # (2 * n_tokens, D)


SPELLED = ["The cat sat on the warm mat.", "Seven green boats left the harbour at dawn."]


def _fusion(model, slots, weight):
    table = token_embeddings(model.text_decoder).detach()
    return SlotScores(slots, table, model.config.ctc_fusion_scale, model.config.ctc_fusion_blank), weight


def test_ctc_fusion_writes_the_words_the_slots_hold(embedded_model):
    """The LLM alone, reading a sentence's exact embeddings, adds words of its own; with the
    slots' CTC scores it writes the sentence."""
    slots = [_spelled_slots(embedded_model, SPELLED[0])]
    [prompt] = [embedded_model.prompt_with_audio(s)[2] for s in slots]
    llm, tokenizer = embedded_model.text_decoder, embedded_model.tokenizer
    [alone] = generate(llm, tokenizer, [prompt], 20, num_beams=3)
    [fused] = generate(llm, tokenizer, [prompt], 20, num_beams=3, ctc_fusion=_fusion(embedded_model, slots, 1.0))
    assert alone.text != SPELLED[0] and fused.text == SPELLED[0]
    assert fused.token_probs.shape == fused.token_ids.shape  # the LLM's own probabilities, as without fusion


def test_ctc_fusion_follows_each_prompts_beams(embedded_model):
    """Rows of different prompts can hold the same words (both begin with "The"); each row's
    CTC state must come from its own prompt's slots: a batch writes what each writes alone."""
    llm, tokenizer = embedded_model.text_decoder, embedded_model.tokenizer
    slots = [_spelled_slots(embedded_model, s) for s in ("The dog ran home.", *SPELLED)]
    prompts = [embedded_model.prompt_with_audio(s)[2] for s in slots]
    together = generate(llm, tokenizer, prompts, 20, num_beams=3, ctc_fusion=_fusion(embedded_model, slots, 1.0))
    alone = [generate(llm, tokenizer, [p], 20, num_beams=3, ctc_fusion=_fusion(embedded_model, [s], 1.0))[0]
             for p, s in zip(prompts, slots)]
    assert [g.text for g in together] == [g.text for g in alone]
    assert together[0].text == "The dog ran home."


def scaled_embedding_llm():
    """A tiny Gemma 3 (random weights): its embedding layer multiplies the table by sqrt(64)."""
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    config = Gemma3TextConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=32)
    return Gemma3ForCausalLM(config)


def test_token_embeddings_are_what_the_embedding_layer_hands_the_llm(parts):
    gemma = scaled_embedding_llm()
    ids = torch.arange(300)
    assert torch.allclose(token_embeddings(gemma), gemma.get_input_embeddings()(ids))
    assert embedding_rms(gemma) == pytest.approx(gemma.get_input_embeddings()(ids).pow(2).mean().sqrt().item(), rel=1e-4)
    smollm2 = parts[0]  # no scale: the table itself, not a copy
    assert token_embeddings(smollm2) is smollm2.get_input_embeddings().weight
