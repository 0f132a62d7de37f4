"""Stage 5: the frozen language model that writes the transcript.

The decoder never sees audio directly. We write an ordinary chat prompt containing one
``<audio>`` placeholder, expand it to one placeholder token per projector output, embed
the prompt, and overwrite the placeholder positions with the projector's vectors
(the LLaVA recipe, with the counts checked). From there the LLM generates as it always
does, one token at a time; we decode greedily so a lesson's output is the same every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase

AUDIO_TOKEN = "<audio>"
DEFAULT_PROMPT = f"Transcribe the speech: {AUDIO_TOKEN}"
TOP_K_SHOWN = 5  # alternatives kept per generated token, for the probability plots


def add_audio_token(tokenizer: PreTrainedTokenizerBase) -> int:
    """Register ``<audio>`` as a special token (once) and return its id.

    Its id may lie past the end of the LLM's embedding table: that is fine, because
    placeholder positions are never looked up there (see ``merge_audio``).
    """
    if AUDIO_TOKEN not in tokenizer.get_vocab():
        tokenizer.add_tokens([AUDIO_TOKEN], special_tokens=True)
    return tokenizer.convert_tokens_to_ids(AUDIO_TOKEN)


def build_prompt(
    tokenizer: PreTrainedTokenizerBase, n_audio_tokens: int, prompt: str = DEFAULT_PROMPT
) -> tuple[torch.Tensor, torch.Tensor]:
    """The chat prompt's token ids with the placeholder expanded to ``n_audio_tokens`` slots.

    Args:
        tokenizer: the LLM's tokenizer (``add_audio_token`` already applied).
        n_audio_tokens: how many projector outputs will fill the placeholder.
        prompt: the user's message; must contain ``<audio>`` exactly once.

    Returns:
        ``input_ids (n_prompt,)`` and ``audio_mask (n_prompt,)``, True at the audio slots.
    """
    if prompt.count(AUDIO_TOKEN) != 1:
        raise ValueError(f"the prompt must contain {AUDIO_TOKEN} exactly once, got {prompt!r}")
    audio_id = add_audio_token(tokenizer)
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    text = text.replace(AUDIO_TOKEN, AUDIO_TOKEN * n_audio_tokens)
    input_ids = torch.tensor(tokenizer(text, add_special_tokens=False)["input_ids"])
    audio_mask = input_ids == audio_id
    if int(audio_mask.sum()) != n_audio_tokens:
        raise ValueError(
            f"the tokenizer split {AUDIO_TOKEN} apart ({int(audio_mask.sum())} slots for "
            f"{n_audio_tokens} audio tokens); load it through tiny_audio so the token is registered"
        )
    return input_ids, audio_mask


def embedding_rms(llm: PreTrainedModel) -> float:
    """Root-mean-square of the LLM's input embedding table: the size of a text token's
    vector per channel, which the projector's output should match."""
    table = llm.get_input_embeddings().weight  # (vocab, llm_dim)
    # float32 accumulation without a float32 copy of a bf16 table: good to ~0.2%, plenty for an init
    return float(torch.linalg.vector_norm(table, dtype=torch.float32) / table.numel() ** 0.5)


def merge_audio(
    embed_tokens: torch.nn.Module,
    input_ids: torch.Tensor,
    audio_mask: torch.Tensor,
    audio_embeds: torch.Tensor,
) -> torch.Tensor:
    """Embed the prompt and write the audio embeddings into its placeholder slots.

    Args:
        embed_tokens: the LLM's input embedding table.
        input_ids: ``(batch, n_prompt)``.
        audio_mask: ``(batch, n_prompt)``, True at placeholder slots.
        audio_embeds: projector output ``(batch, n_audio_tokens, llm_dim)``, or
            ``(n_total, llm_dim)`` for a batch of clips of different lengths (row-major:
            the first example's tokens, then the second's, ...).

    Returns:
        ``(batch, n_prompt, llm_dim)``, ready for the LLM's ``inputs_embeds``.
    """
    n_slots, n_audio = int(audio_mask.sum()), audio_embeds.numel() // audio_embeds.shape[-1]
    if n_slots != n_audio:
        raise ValueError(
            f"the prompt has {n_slots} audio slots but the projector made {n_audio} vectors; "
            "build the prompt with build_prompt(tokenizer, projector.output_length(n_frames))"
        )
    if audio_embeds.shape[-1] != embed_tokens.embedding_dim:
        raise ValueError(
            f"the audio embeddings are {audio_embeds.shape[-1]}-dim but this LLM's are "
            f"{embed_tokens.embedding_dim}-dim; build the projector with llm_dim={embed_tokens.embedding_dim}"
        )
    # Placeholder ids may be outside the embedding table; look up id 0 there instead.
    text_embeds = embed_tokens(input_ids.masked_fill(audio_mask, 0))  # (B, T, D)
    return text_embeds.masked_scatter(
        audio_mask.unsqueeze(-1), audio_embeds.to(text_embeds.dtype)
    )  # (B, T, D)


@dataclass
class Generation:
    """What the decoder wrote for one prompt.

    Attributes:
        token_ids: generated ids, end-of-turn token excluded, ``(n_generated,)``.
        tokens: the same as token strings.
        token_probs: probability of each chosen token, ``(n_generated,)``.
        top_tokens: the ``TOP_K_SHOWN`` most likely tokens at each step with their probabilities.
        text: the decoded transcript.
    """

    token_ids: torch.Tensor
    tokens: list[str]
    token_probs: torch.Tensor
    top_tokens: list[list[tuple[str, float]]]
    text: str


@torch.no_grad()
def generate(
    llm: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    inputs_embeds: torch.Tensor,
    max_new_tokens: int,
) -> Generation:
    """Greedy decoding from a merged prompt, keeping each step's probabilities.

    Args:
        llm: the frozen causal LM.
        tokenizer: its tokenizer.
        inputs_embeds: the merged prompt, ``(1, n_prompt, llm_dim)``.
        max_new_tokens: upper bound on the transcript's length in tokens.
    """
    # An explicit config: instruct models ship sampling defaults (temperature, top_p)
    # that would make the lessons' printouts change from run to run.
    config = GenerationConfig(
        do_sample=False,
        max_new_tokens=max_new_tokens,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        output_logits=True,  # raw logits, before any processor reshapes them
        return_dict_in_generate=True,
    )
    out = llm.generate(
        inputs_embeds=inputs_embeds,
        attention_mask=torch.ones(inputs_embeds.shape[:2], dtype=torch.long, device=inputs_embeds.device),
        generation_config=config,
    )
    ids = out.sequences[0]  # (n_new,): with inputs_embeds only the new tokens come back
    probs = torch.stack(out.logits, dim=1)[0].float().softmax(-1)  # (n_new, vocab)
    if ids[-1].item() == tokenizer.eos_token_id:
        ids, probs = ids[:-1], probs[:-1]
    top_p, top_i = probs.topk(TOP_K_SHOWN, dim=-1)  # (n_new, K)
    top_tokens = [
        list(zip(tokenizer.convert_ids_to_tokens(row_i.tolist()), row_p.tolist()))
        for row_i, row_p in zip(top_i, top_p)
    ]
    return Generation(
        token_ids=ids.cpu(),
        tokens=tokenizer.convert_ids_to_tokens(ids.tolist()),
        token_probs=probs.gather(-1, ids.unsqueeze(-1)).squeeze(-1).cpu(),
        top_tokens=top_tokens,
        text=tokenizer.decode(ids, skip_special_tokens=True).strip(),
    )
