"""Stage 5: the frozen language model that writes the transcript.

The decoder never sees audio directly. We write an ordinary chat prompt containing one
``<audio>`` placeholder, expand it to one placeholder token per projector output, embed
the prompt, and overwrite the placeholder positions with the projector's vectors
(the LLaVA recipe, with the counts checked). From there the LLM generates as it always
does, one token at a time; greedily by default (beam search on request), never sampling,
so a lesson's output is the same every run.

The LLM can be made to follow the audio more closely than its own prior (``AudioGuidance``,
classifier-free guidance): each step's log-probabilities are pushed away from those the
same LLM gives the prompt with no audio at all, which is the sentence it would write anyway.
And its candidate tokens can be checked against the audio slots themselves (``CTCFusion``,
joint CTC/LLM decoding): a word the slots do not hold, or hold once and the LLM wants twice,
loses; the LLM still chooses every token among the few it finds likeliest.

Two things make transcribing many clips cheaper without changing what is written:
``generate`` decodes a batch of prompts at once (each step then reads the LLM's weights
once for all of them), and the prompt's text before the audio, the same for every clip,
is run through the LLM once (``PromptPrefix``) and its keys and values reused.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache, GenerationConfig, LogitsProcessor, PreTrainedModel, PreTrainedTokenizerBase
from transformers.modeling_outputs import CausalLMOutputWithPast

from .ctc import SlotScores, extend_prefixes

AUDIO_TOKEN = "<audio>"
DEFAULT_PROMPT = f"Transcribe the speech: {AUDIO_TOKEN}"
TOP_K_SHOWN = 5  # alternatives kept per generated token, for the probability plots
NO_REPEAT_NGRAM = 3  # no three tokens written twice: cuts "J. J. J. J. ..." loops (held-out long clips 92% -> 90% WER)
FUSION_TOP_K = 12  # the LLM's likeliest tokens per step that CTCFusion scores (6: 42.1%, 12: 38.7%, 24: 39.4% held-out)
LINE_BREAK_MARKS = ("\n", "\u010a", "<0x0A>")  # how a token spells a line break: as text, byte-level BPE, sentencepiece
# The name transformers gives the key/value cache, as a model output field and as an
# argument of ``generate``: "cache" since 5.24, where "past_key_values" warns that it is
# deprecated; "past_key_values" before.
CACHE_ARG = "cache" if "cache" in {f.name for f in dataclasses.fields(CausalLMOutputWithPast)} else "past_key_values"


def add_audio_token(tokenizer: PreTrainedTokenizerBase) -> int:
    """Register ``<audio>`` as a special token (once) and return its id.

    Its id may lie past the end of the LLM's embedding table: that is fine, because
    placeholder positions are never looked up there (see ``merge_audio``).
    """
    if AUDIO_TOKEN not in tokenizer.get_added_vocab():  # not get_vocab(): it copies all 49k entries, every call
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


def embedding_scale(llm: PreTrainedModel) -> float:
    """The factor the LLM's embedding layer multiplies its table by (Gemma: sqrt(llm_dim);
    most LLMs: 1). The audio slots are written after that layer, so they live at its scale."""
    return float(getattr(llm.get_input_embeddings(), "embed_scale", 1.0))


def token_embeddings(llm: PreTrainedModel) -> torch.Tensor:
    """The vectors the LLM's first layer sees for each token ``(vocab, llm_dim)``: its input
    embedding table times ``embedding_scale`` (the table itself where the scale is 1)."""
    table = llm.get_input_embeddings().weight
    scale = embedding_scale(llm)
    return table if scale == 1.0 else table * scale


def embedding_rms(llm: PreTrainedModel) -> float:
    """Root-mean-square of the token vectors the LLM sees (``token_embeddings``): the size of
    a text token's vector per channel, which the projector's output should match."""
    table = llm.get_input_embeddings().weight.detach()  # (vocab, llm_dim)
    # float32 accumulation without a float32 copy of a bf16 table: good to ~0.2%, plenty for an init
    rms = float(torch.linalg.vector_norm(table, dtype=torch.float32) / table.numel() ** 0.5)
    return rms * embedding_scale(llm)


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


@dataclass
class PromptPrefix:
    """The LLM's keys and values for the prompt's first tokens, which every clip shares.

    Attributes:
        input_ids: those tokens, ``(n_prefix,)``.
        embeds: their embeddings, ``(n_prefix, llm_dim)``.
        cache: the LLM's key/value cache after reading them (batch 1).
    """

    input_ids: torch.Tensor
    embeds: torch.Tensor
    cache: DynamicCache

    @classmethod
    @torch.no_grad()
    def build(cls, llm: PreTrainedModel, input_ids: torch.Tensor) -> PromptPrefix:
        """Run ``llm`` once over ``input_ids`` ``(n_prefix,)``: the prompt up to its first audio slot."""
        embeds = llm.get_input_embeddings()(input_ids.to(llm.device))  # (n_prefix, D)
        cache = getattr(llm(inputs_embeds=embeds[None], use_cache=True), CACHE_ARG)
        return cls(input_ids=input_ids.cpu(), embeds=embeds, cache=cache)

    def cache_for(self, batch_size: int) -> DynamicCache:
        """A copy of the cache for ``batch_size`` prompts (generation appends to it)."""
        cache = copy.deepcopy(self.cache)
        cache.batch_repeat_interleave(batch_size)
        return cache


class AudioGuidance(LogitsProcessor):
    """Classifier-free guidance toward the audio, as a transformers logits processor.

    At each step the LLM's log-probabilities with the audio, ``cond``, become
    ``cond + (scale - 1) * (cond - uncond)``, where ``uncond`` are its log-probabilities
    for the same words written so far after the prompt *without* audio slots: what the
    LLM would write from the instruction alone. Words the audio made likelier gain; words
    the LLM likes anyway (the fluent gist of a sentence) lose. 1 changes nothing.

    The unconditional prompt is the same for every row, so its key/value cache depends only
    on the tokens written; beam search reorders rows between steps, and each row's
    history is matched to the previous step's rows to reorder the cache with it.

    Args:
        llm: the frozen causal LM.
        unconditional_ids: the prompt without audio, ``(n_uncond,)``.
        scale: the guidance scale (> 1 follows the audio more).
    """

    def __init__(self, llm: PreTrainedModel, unconditional_ids: torch.Tensor, scale: float) -> None:
        self.llm, self.unconditional_ids, self.scale = llm, unconditional_ids.to(llm.device), scale
        self.cache: DynamicCache | None = None
        self.written: torch.Tensor | None = None  # each row's tokens at the previous step, (rows, n_new - 1)

    @torch.no_grad()
    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """``input_ids (rows, n_new)``: the tokens written so far; ``scores (rows, vocab)``."""
        cond = scores.float().log_softmax(-1)
        if self.cache is None:  # the first step: read the prompt without audio, once for all rows
            out = self.llm(input_ids=self.unconditional_ids[None], use_cache=True)
            cache = getattr(out, CACHE_ARG)
            cache.batch_repeat_interleave(len(input_ids))
            logits = out.logits[:, -1].expand(len(input_ids), -1)
        else:
            same_history = (input_ids[:, None, :-1] == self.written[None]).all(-1)  # (rows, previous rows)
            cache = self.cache
            cache.reorder_cache(same_history.int().argmax(-1))
            position = len(self.unconditional_ids) + input_ids.shape[1] - 1
            out = self.llm(
                input_ids=input_ids[:, -1:],
                position_ids=torch.full((len(input_ids), 1), position, device=input_ids.device),
                use_cache=True,
                **{CACHE_ARG: cache},
            )
            logits = out.logits[:, -1]
        self.cache, self.written = cache, input_ids
        uncond = logits.float().log_softmax(-1)  # (rows, vocab)
        guided = cond + (self.scale - 1) * (cond - uncond)
        return guided.masked_fill(torch.isinf(cond), -torch.inf)  # tokens other rules forbid stay forbidden


class CTCFusion(LogitsProcessor):
    """Joint CTC/LLM decoding (Watanabe et al. 2017), as a transformers logits processor.

    At each step, only the ``top_k`` tokens the LLM (with any processor before this one)
    finds likeliest stay candidates, and each gains ``weight`` times the change in the CTC
    prefix score (``ctc.extend_prefixes``) that it brings to its row's transcript: how much
    likelier the audio slots make the transcript with this token than without. A stop token
    gains the change to the finished transcript's CTC score, so ending early (words the
    slots hold left unwritten) costs what it should. Slot scores come from ``ctc.SlotScores``
    (nothing trained). The written tokens are matched to CTC classes as the training targets
    spell them: the first word's token is taken with its leading space.

    Like ``AudioGuidance``, the processor finds each row's history among the previous step's
    rows (beam search reorders them) and carries that row's CTC state along.

    Args:
        tokenizer: the LLM's tokenizer.
        slot_scores: the CTC scores of each prompt's audio slots.
        weight: how many nats of LLM log-probability one nat of CTC prefix score is worth.
        num_beams: rows per prompt (prompt ``i`` owns rows ``i * num_beams ...``).
        top_k: candidates scored per row and step.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, slot_scores: SlotScores, weight: float,
                 num_beams: int, top_k: int = FUSION_TOP_K) -> None:
        self.tokenizer, self.slot_scores, self.weight, self.top_k = tokenizer, slot_scores, weight, top_k
        self.clips = torch.arange(len(slot_scores.blank)).repeat_interleave(num_beams)  # (rows,): each row's prompt
        self.stops = torch.tensor(stop_token_ids(tokenizer))
        self.state: dict[str, torch.Tensor] | None = None  # the previous step's candidates and their CTC states

    def _with_space(self, token_ids: torch.Tensor) -> torch.Tensor:
        """The same words as CTC targets spell them mid-sentence: each id's text with a space
        in front, where that is one token (``ctc.ctc_token_ids``); the id itself otherwise."""
        spaced = [self.tokenizer(" " + self.tokenizer.decode([i]), add_special_tokens=False)["input_ids"]
                  for i in token_ids.flatten().tolist()]
        flat = [s[0] if len(s) == 1 else i for s, i in zip(spaced, token_ids.flatten().tolist())]
        return torch.tensor(flat, device=token_ids.device).view_as(token_ids)

    def _prefixes(self, input_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each row's CTC state for the tokens it has written: looked up among the previous
        step's candidates; ``scored`` is False for a row whose last token had no CTC score."""
        rows, blank = len(input_ids), self.slot_scores.blank[self.clips]  # (rows, T)
        if self.state is None:  # nothing written yet: the empty prefix
            return {"r_n": torch.full_like(blank, -torch.inf), "r_b": blank.cumsum(-1),
                    "score": blank.new_zeros(rows), "last": torch.full((rows,), -1),
                    "scored": torch.ones(rows, dtype=torch.bool)}
        previous = self.state
        same_prompt = self.clips[:, None] == self.clips[None, :]  # two prompts' rows may hold the same words
        same_history = (input_ids[:, None, :-1] == previous["written"][None]).all(-1) & same_prompt  # (rows, previous rows)
        came_from = same_history.int().argmax(-1)  # (rows,)
        chosen = previous["tokens"][came_from] == input_ids[:, -1:]  # (rows, K)
        k = chosen.int().argmax(-1)
        pick = (came_from, k)
        return {"r_n": previous["r_n"][pick], "r_b": previous["r_b"][pick], "score": previous["scores"][pick],
                "last": previous["classes"][pick],
                "scored": previous["scored"][came_from] & chosen.any(-1) & same_history.any(-1)}

    @torch.no_grad()
    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """``input_ids (rows, n_new)``: the tokens written so far; ``scores (rows, vocab)``."""
        prefix = self._prefixes(input_ids.cpu())
        scores_cpu = scores.float().cpu()
        tokens = scores_cpu.topk(self.top_k, -1).indices  # (rows, K)
        words = tokens if input_ids.shape[1] else self._with_space(tokens)  # CTC classes minus 1
        slot_words = self.slot_scores.words(self.clips, words)  # (rows, T, K)
        new_n, new_b, prefix_scores = extend_prefixes(
            slot_words, self.slot_scores.blank[self.clips], prefix["r_n"], prefix["r_b"],
            repeats=words == prefix["last"][:, None], empty=torch.tensor(input_ids.shape[1] == 0).expand(len(tokens)))
        finished = torch.logaddexp(prefix["r_n"][:, -1], prefix["r_b"][:, -1])  # (rows,): the transcript as it stands
        stop = torch.isin(tokens, self.stops)
        gain = torch.where(stop, finished[:, None], prefix_scores) - prefix["score"][:, None]  # (rows, K)
        gain = gain.nan_to_num(nan=-torch.inf)  # -inf - -inf: a row whose transcript the slots cannot hold
        fused = torch.full_like(scores_cpu, -torch.inf)
        fused.scatter_(1, tokens, scores_cpu.gather(1, tokens) + self.weight * gain)
        fused = torch.where(prefix["scored"][:, None], fused, scores_cpu)  # a row CTC lost track of: the LLM alone
        self.state = {"written": input_ids.cpu(), "tokens": tokens, "classes": words, "r_n": new_n.transpose(1, 2),
                      "r_b": new_b.transpose(1, 2), "scores": prefix_scores, "scored": prefix["scored"]}
        return fused.to(scores.device).masked_fill(torch.isinf(scores), -torch.inf)


@torch.no_grad()
def generate(
    llm: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[torch.Tensor],
    max_new_tokens: int | Sequence[int],
    prefix: PromptPrefix | None = None,
    num_beams: int = 1,
    guidance: tuple[torch.Tensor, float] | None = None,
    ctc_fusion: tuple[SlotScores, float] | None = None,
) -> list[Generation]:
    """Decoding of merged prompts, all at once, keeping each written token's probabilities.

    Prompts of different lengths are padded where the padding changes nothing: after the
    shared prefix (at the start when there is none), masked out, with positions counted
    over real tokens only. Each prompt is thus written as it would be alone, up to float
    rounding in the batched matrix products.

    Args:
        llm: the frozen causal LM.
        tokenizer: its tokenizer.
        prompts: merged prompts, each ``(n_prompt, llm_dim)``; all begin with ``prefix``.
        max_new_tokens: upper bound on each transcript's length in tokens (one for all, or one each).
        prefix: the shared first tokens, already read by the LLM; None reads every token.
        num_beams: 1 writes greedily; more keeps that many candidates per prompt (beam
            search) and returns the likeliest whole transcript.
        guidance: ``(unconditional_ids, scale)`` to write with ``AudioGuidance``: the
            prompt's ids without audio slots ``(n_uncond,)`` and the guidance scale;
            None writes from the LLM's own probabilities. ``token_probs`` stay the LLM's
            own (with the audio, unguided) either way.
        ctc_fusion: ``(slot_scores, weight)`` to write with ``CTCFusion`` (after any
            guidance): the CTC scores of each prompt's audio slots, in prompt order, and
            the weight of the CTC prefix score; None: no CTC scores.
    """
    limits = [max_new_tokens] * len(prompts) if isinstance(max_new_tokens, int) else list(max_new_tokens)
    if len(prompts) == 0 or len(limits) != len(prompts):
        raise ValueError(f"got {len(prompts)} prompts and {len(limits)} token limits; pass one limit per prompt")
    n_prefix = 0 if prefix is None else len(prefix.embeds)
    if prefix is not None and any(not torch.equal(p[:n_prefix], prefix.embeds.to(p.dtype)) for p in prompts):
        raise ValueError("a prompt does not begin with the prefix; build the prefix from the same prompt text")
    length = max(len(p) for p in prompts)
    first = prompts[0]
    inputs_embeds = first.new_zeros(len(prompts), length, first.shape[-1])  # (B, L, D)
    attention_mask = torch.zeros(len(prompts), length, dtype=torch.long, device=first.device)  # (B, L)
    for row, prompt in enumerate(prompts):
        start = length - (len(prompt) - n_prefix)  # the padding fills [n_prefix, start)
        inputs_embeds[row, :n_prefix], inputs_embeds[row, start:] = prompt[:n_prefix], prompt[n_prefix:]
        attention_mask[row, :n_prefix], attention_mask[row, start:] = 1, 1
    # An explicit config: instruct models ship sampling defaults (temperature, top_p)
    # that would make the lessons' printouts change from run to run.
    config = GenerationConfig(
        do_sample=False,
        num_beams=num_beams,
        max_new_tokens=max(limits),
        eos_token_id=list(stop_token_ids(tokenizer)),
        no_repeat_ngram_size=NO_REPEAT_NGRAM,
        pad_token_id=tokenizer.eos_token_id,
        output_logits=num_beams == 1,  # raw logits, before any processor reshapes them
        return_dict_in_generate=True,
    )
    processors = [
        *([] if guidance is None else [AudioGuidance(llm, *guidance)]),
        *([] if ctc_fusion is None else [CTCFusion(tokenizer, *ctc_fusion, num_beams=num_beams)]),
    ]
    with warnings.catch_warnings():  # that the n-gram rule skips the prompt is what we want: say nothing
        warnings.filterwarnings("ignore", message=".*no_repeat_ngram_size.*", category=UserWarning)
        out = llm.generate(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            position_ids=(attention_mask.cumsum(-1) - 1).clamp(min=0),  # padding takes no position
            generation_config=config,
            logits_processor=processors or None,
            # every beam starts from the same prefix, so the cache is copied once per beam
            **{CACHE_ARG: None if prefix is None else prefix.cache_for(len(prompts) * num_beams)},
        )
    if num_beams == 1:
        logits = torch.stack(out.logits, dim=1)  # (B, n_new, vocab); only the new tokens come back
    else:  # a step's logits belong to beams that may be dropped later: score the winners again
        logits = _logits_of(llm, inputs_embeds, attention_mask, out.sequences)
    return [
        _generation(tokenizer, ids[:limit], row_logits[:limit])
        for ids, row_logits, limit in zip(out.sequences, logits, limits)
    ]


def _logits_of(
    llm: PreTrainedModel, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, new_ids: torch.Tensor
) -> torch.Tensor:
    """The LLM's logits for each written token, read in one pass over the padded prompts
    ``(B, L, D)`` (mask ``(B, L)``) followed by the written ids ``(B, n_new)``: ``(B, n_new, vocab)``."""
    embeds = torch.cat([inputs_embeds, llm.get_input_embeddings()(new_ids).to(inputs_embeds.dtype)], dim=1)
    mask = torch.cat([attention_mask, torch.ones_like(new_ids, dtype=attention_mask.dtype)], dim=1)
    logits = llm(inputs_embeds=embeds, attention_mask=mask, position_ids=(mask.cumsum(-1) - 1).clamp(min=0)).logits
    return logits[:, inputs_embeds.shape[1] - 1 : -1]  # the logits that chose each new token


@functools.lru_cache(maxsize=4)
def stop_token_ids(tokenizer: PreTrainedTokenizerBase) -> tuple[int, ...]:
    """The ids that end a transcript: the end-of-turn token and every token holding a line
    break. A transcript is one line (no training transcript has a break), so what an LLM
    writes after one is chat ("I made a minor change to the sentence..."), not speech."""
    breaks = (i for token, i in tokenizer.get_vocab().items() if any(mark in token for mark in LINE_BREAK_MARKS))
    return (tokenizer.eos_token_id, *sorted(breaks))


def _generation(tokenizer: PreTrainedTokenizerBase, ids: torch.Tensor, logits: torch.Tensor) -> Generation:
    """One prompt's ``Generation`` from its new ids ``(n,)`` and their logits ``(n, vocab)``:
    everything before the first stop token (``stop_token_ids``)."""
    ends = torch.isin(ids, torch.tensor(stop_token_ids(tokenizer), device=ids.device)).nonzero()
    n = int(ends[0]) if len(ends) else len(ids)
    ids, probs = ids[:n], logits[:n].float().softmax(-1)  # (n,), (n, vocab)
    top_p, top_i = probs.topk(TOP_K_SHOWN, dim=-1)  # (n, K)
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
