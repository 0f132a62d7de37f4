"""Training the projector, the one trainable part, on cached encoder features (lesson 3).

The encoder and the LLM stay frozen. Training runs in two stages:

1. ``ctc`` — **point at the LLM's words.** Each projector output is scored against the
   LLM's own input embeddings (``tiny_audio.ctc.CTCHead``) and CTC rewards slots that spell
   the transcript's tokens in order. No LLM runs, so a step is cheap (under a second for
   32 clips on a 2-core CPU), and within minutes the projector's vectors *mean* the spoken
   words. The cached frames are perturbed on the way in (``augment_frames``) so that it
   cannot simply memorize them.
2. ``llm`` — **make the LLM read them.** Each example is a prompt whose ``<audio>`` slots
   hold the projector's output, followed by the transcript; the loss is the LLM's
   next-token cross-entropy on the transcript tokens only (prompt, audio and padding are
   masked with -100), plus ``ctc_weight`` times the CTC loss, which keeps the slots
   pointing at words while the LLM's loss shapes them into vectors it reads. The frames
   are perturbed here too, but never masked: a masked word would teach the LLM to write
   words nobody said.

Both losses come from one place, ``ASRModel.forward(..., labels=..., ctc_labels=...)``.
AdamW with linear warmup and cosine decay in each stage, gradient clipping, bf16 autocast
on a GPU (and on a CPU with native bf16 instructions, where it halves the step time).
Runs unchanged under ``accelerate launch`` (DDP): every process takes its share of each
global batch, and DDP averages the projector's gradients. The sample order is a pure
function of (seed, stage, step), so a run resumed from a checkpoint continues exactly.
"""

from __future__ import annotations

import functools
import io
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from tqdm.auto import tqdm

from .ctc import IGNORE_INDEX, CTCHead, ctc_token_ids, even_blank_scores
from .data.features import Features
from .decoder import build_prompt, embedding_scale, token_embeddings
from .model import PROJECTOR_FILE, ASRModel, ASROutput
from .projector import output_length
from .weights.cache import atomic_write_bytes
from .weights.device import has_fast_bf16

CHECKPOINT_FILE = "checkpoint.pt"
SELF_SCORE = 105.5  # a token's starting CTC score against its own vector, for LLMs that scale their embeddings
HISTORY_FILE = "history.json"
STAGES = ("ctc", "llm")  # in the order they run
# The augmentation of cached encoder frames (augment_frames): without it the projector
# memorizes its training clips within ~500 steps of 32 in the CTC stage.
TIME_MASKS = 2  # spans of zeroed frames per clip (CTC stage only)
MASK_FRAMES = 10  # each up to 0.2 s
FEATURE_DROPOUT = 0.1
JOIN_MAX_EXTRA = 2  # clips appended to one LLM-stage example at most (join_clips)
EVAL_EXAMPLES = 32  # held-out clips whose loss is recorded every eval_every steps
# The CTC fusion blank a trained projector gets (calibrated_fusion_blank) reads this share of its slots
# as blanks: the share the embedded preset's hand-tuned blank (2.2) gives its own projector's slots
# (0.60 on the first 100 held-out clips; 0.58-0.61 on 40 or 150 of them and on 40-150 training clips).
FUSION_BLANK_QUANTILE = 0.6
BLANK_CALIBRATION_CLIPS = 100


@dataclass
class TrainConfig:
    """How the projector is trained: the CTC warm start, then the LLM's loss.

    The defaults are the recipe `tiny-audio train` runs in about an hour on a 2-core CPU,
    data preparation included (BENCHMARKS.md). The shipped embedded projector
    was trained with the same two losses for longer (see the README).
    """

    ctc_steps: int = 1000  # stage 1: CTC against the LLM's embedding table (~8 min on 2 cores)
    ctc_batch_size: int = 32  # a CTC step runs no LLM, so it takes bigger batches
    ctc_lr: float = 2e-3
    augment: bool = True  # perturb the cached frames in both stages (augment_frames)
    join_probability: float = 0.25  # LLM stage: chance that a batch is several clips in a row per example (join_clips)
    steps: int = 1600  # stage 2: the LLM's next-token loss + ctc_weight * CTC (~37 min on 2 cores)
    # global: split evenly across processes. In the same ~37 min, 1600 steps of 4 read better
    # than 800 of 8 (held-out WER 63% against 70%, LibriVox 63% against 76%: README)
    batch_size: int = 4
    lr: float = 2e-3  # after 800 steps of 8, held-out WER: 5e-4 85%, 1e-3 66%, 2e-3 56% (README)
    ctc_weight: float = 0.3
    min_lr_ratio: float = 0.1  # cosine decays to lr * this, in each stage
    warmup_steps: int = 50  # per stage: ramp up while AdamW's moment estimates settle
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    checkpoint_every: int = 200
    eval_every: int = 100  # held-out loss every this many steps (when held-out features are given)
    seed: int = 0
    mixed_precision: str = "auto"  # "bf16", "no", or "auto": bf16 where the device runs it natively

    def __post_init__(self) -> None:
        if self.steps < 0 or self.ctc_steps < 0 or self.steps + self.ctc_steps < 1:
            raise ValueError(f"need steps >= 0, ctc_steps >= 0 and at least one step, got {self.ctc_steps} and {self.steps}")
        if min(self.batch_size, self.ctc_batch_size, self.checkpoint_every, self.eval_every) < 1:
            raise ValueError("batch_size, ctc_batch_size, checkpoint_every and eval_every must be at least 1")
        if min(self.lr, self.ctc_lr) <= 0 or not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"need lr > 0, ctc_lr > 0 and 0 <= min_lr_ratio <= 1, got {self.lr}, {self.ctc_lr} "
                             f"and {self.min_lr_ratio}")
        if not 0 <= self.join_probability <= 1:
            raise ValueError(f"join_probability must be between 0 and 1, got {self.join_probability}")
        if self.ctc_weight < 0:
            raise ValueError(f"ctc_weight must be >= 0, got {self.ctc_weight}")
        if self.mixed_precision not in ("auto", "bf16", "no"):
            raise ValueError(f"mixed_precision must be auto, bf16 or no, got {self.mixed_precision!r}")

    @property
    def total_steps(self) -> int:
        return self.ctc_steps + self.steps


@dataclass(frozen=True)
class Stage:
    """Where global step ``step`` falls: which stage, how far into it, and its settings."""

    name: str  # "ctc" or "llm"
    step: int  # steps already taken in this stage
    n_steps: int
    batch_size: int
    lr: float

    @classmethod
    def at(cls, step: int, config: TrainConfig) -> Stage:
        if step < config.ctc_steps:
            return cls("ctc", step, config.ctc_steps, config.ctc_batch_size, config.ctc_lr)
        return cls("llm", step - config.ctc_steps, config.steps, config.batch_size, config.lr)


@dataclass
class Batch:
    """Model inputs for a batch of examples (right-padded).

    Attributes:
        frames: encoder frames, zero-padded, ``(B, T_max, encoder_dim)``.
        n_audio_tokens: projector outputs each example uses, ``(B,)``.
        input_ids: prompt + transcript + end-of-turn, ``(B, L)``.
        audio_mask: True at audio slots, ``(B, L)``.
        labels: transcript ids where the loss counts, -100 elsewhere, ``(B, L)``.
        attention_mask: 1 for real tokens, 0 for padding, ``(B, L)``.
        ctc_labels: the transcript's token ids for CTC (``ctc_token_ids``), -100-padded, ``(B, S)``.
    """

    frames: torch.Tensor
    n_audio_tokens: torch.Tensor
    input_ids: torch.Tensor
    audio_mask: torch.Tensor
    labels: torch.Tensor
    attention_mask: torch.Tensor
    ctc_labels: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(**{name: value.to(device) for name, value in vars(self).items()})

    def model_inputs(self, stage: str = "llm", ctc: bool = True) -> dict[str, torch.Tensor]:
        """The keyword arguments of ``ASRModel.forward`` for a stage (``ctc`` runs no LLM);
        ``ctc=False`` leaves out the CTC labels (then no CTC head is needed)."""
        inputs = {"frames": self.frames, "n_audio_tokens": self.n_audio_tokens}
        if ctc:
            inputs["ctc_labels"] = self.ctc_labels
        if stage == "llm":
            inputs.update(input_ids=self.input_ids, audio_mask=self.audio_mask, attention_mask=self.attention_mask,
                          labels=self.labels)
        return inputs


def make_batch(examples: list[tuple[torch.Tensor, str]], tokenizer, prompt: str, downsample_rate: int) -> Batch:
    """Tokenize and right-pad ``(frames (T, D), transcript)`` examples into one ``Batch``."""
    n_tokens = [output_length(len(frames), downsample_rate) for frames, _ in examples]
    prompts = [build_prompt(tokenizer, n, prompt) for n in n_tokens]
    targets = [tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for _, text in examples]
    ctc_targets = [ctc_token_ids(tokenizer, text) for _, text in examples]
    batch_size = len(examples)
    length = max(len(ids) + len(target) for (ids, _), target in zip(prompts, targets))
    t_max = max(len(frames) for frames, _ in examples)

    batch = Batch(
        frames=torch.zeros(batch_size, t_max, examples[0][0].shape[-1]),
        n_audio_tokens=torch.tensor(n_tokens),
        input_ids=torch.full((batch_size, length), tokenizer.pad_token_id or tokenizer.eos_token_id),
        audio_mask=torch.zeros(batch_size, length, dtype=torch.bool),
        labels=torch.full((batch_size, length), IGNORE_INDEX),
        attention_mask=torch.zeros(batch_size, length, dtype=torch.long),
        ctc_labels=torch.full((batch_size, max(len(t) for t in ctc_targets)), IGNORE_INDEX),
    )
    for i, ((frames, _), (prompt_ids, audio_mask), target, ctc_target) in enumerate(
        zip(examples, prompts, targets, ctc_targets)
    ):
        n_prompt, n_total = len(prompt_ids), len(prompt_ids) + len(target)
        batch.frames[i, : len(frames)] = frames
        batch.input_ids[i, :n_prompt] = prompt_ids
        batch.input_ids[i, n_prompt:n_total] = torch.tensor(target)
        batch.audio_mask[i, :n_prompt] = audio_mask
        batch.labels[i, n_prompt:n_total] = torch.tensor(target)  # the loss counts the transcript only
        batch.attention_mask[i, :n_total] = 1
        batch.ctc_labels[i, : len(ctc_target)] = torch.tensor(ctc_target)
    return batch


def augment_frames(frames: torch.Tensor, downsample_rate: int, generator: torch.Generator, *,
                   time_masks: int = TIME_MASKS) -> torch.Tensor:
    """A perturbed copy of one clip's cached encoder frames ``(T, D)`` -> ``(T - shift, D)``:
    a random stacking phase (the first 0..k-1 frames dropped, so the projector sees each
    clip grouped differently), ``time_masks`` spans of up to ``MASK_FRAMES`` frames set to
    zero, and dropout of single features (``FEATURE_DROPOUT``). All draws come from
    ``generator``, so a resumed run perturbs exactly as the first one did."""
    def draw(high: int) -> int:  # uniform in 0..high
        return int(torch.randint(0, high + 1, (), generator=generator))

    shift = draw(min(downsample_rate - 1, len(frames) - 1))
    frames = frames[shift:].clone()
    for _ in range(time_masks):
        width = draw(min(MASK_FRAMES, len(frames) - 1))
        start = draw(len(frames) - width)
        frames[start : start + width] = 0
    keep = torch.rand(frames.shape, generator=generator) >= FEATURE_DROPOUT
    return frames * keep / (1 - FEATURE_DROPOUT)


def join_clips(examples: list[tuple[torch.Tensor, str]], features: Features, probability: float,
               generator: torch.Generator) -> list[tuple[torch.Tensor, str]]:
    """Longer examples from short clips: with ``probability``, every example of the batch gets
    1 to ``JOIN_MAX_EXTRA`` random clips of ``features`` appended — frames one after the other
    ``(T1 + T2 + ..., D)``, transcripts joined by a space; otherwise the batch is returned as
    it is. The synthetic clips average 2.6 s; a projector trained on them alone leaves the LLM
    repeating itself on longer speech. Whole batches, not single examples: a batch is as slow
    as its longest example, so one joined example would make the whole batch slow."""
    if float(torch.rand((), generator=generator)) >= probability:
        return examples
    joined = []
    for frames, text in examples:
        n_extra = int(torch.randint(1, JOIN_MAX_EXTRA + 1, (), generator=generator))
        extra = [features[int(i)] for i in torch.randint(0, len(features), (n_extra,), generator=generator)]
        joined.append((torch.cat([frames, *(f for f, _ in extra)]), " ".join([text, *(t for _, t in extra)])))
    return joined


def lr_factor(step: int, n_steps: int, warmup_steps: int, min_lr_ratio: float) -> float:
    """Learning-rate multiplier ``step`` steps into a stage of ``n_steps``: linear warmup,
    then cosine down to ``min_lr_ratio``."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, n_steps - warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return min_lr_ratio + (1 - min_lr_ratio) * cosine


@functools.lru_cache(maxsize=4)
def _epoch_order(seed: int, epoch: int, n_examples: int) -> tuple[int, ...]:
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return tuple(torch.randperm(n_examples, generator=generator).tolist())


def batch_indices(step: int, n_examples: int, batch_size: int, seed: int) -> list[int]:
    """The examples of batch ``step``: a fresh seeded shuffle every epoch, so the order
    depends only on (seed, step) and a resumed run sees the same batches."""
    positions = range(step * batch_size, (step + 1) * batch_size)
    return [_epoch_order(seed, p // n_examples, n_examples)[p % n_examples] for p in positions]


@dataclass
class TrainState:
    """What a checkpoint holds besides the projector, the CTC head and the optimizer."""

    step: int = 0  # global: the ctc stage's steps, then the llm stage's
    history: list[dict] = field(default_factory=list)  # {"step", "stage", "loss", "ctc_loss", "lm_loss", "lr", ["eval_loss"]}


def _save_checkpoint(path: Path, projector, ctc_head, optimizer, state: TrainState, config: TrainConfig) -> None:
    buffer = io.BytesIO()
    torch.save({
        "projector": projector.state_dict(),
        "ctc_head": ctc_head.state_dict(),
        "optimizer": optimizer.state_dict(),
        "state": asdict(state),
        "config": asdict(config),
    }, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a damaged file fails in many ways
        raise ValueError(
            f"{path} is not a readable checkpoint ({type(err).__name__}); delete it to start over"
        ) from None


def ctc_head_for(model: ASRModel, features: Features) -> CTCHead:
    """The CTC head over the tokens of ``features``' transcripts, on the LLM's device."""
    embeddings = token_embeddings(model.text_decoder)
    start_scale = 10.0  # SmolLM2's tokens then score ~105 against themselves at the start
    if embedding_scale(model.text_decoder) != 1.0:  # Gemma's vectors are 25x larger: the same ~105, not 65,000
        start_scale = SELF_SCORE / float(embeddings.detach().float().pow(2).sum(-1).mean())
    texts = (item["text"] for item in features.items)
    return CTCHead.for_transcripts(embeddings, model.tokenizer, texts, start_scale)


def compute_loss(model: ASRModel, ctc_head: CTCHead, batch: Batch, stage: str, config: TrainConfig) -> ASROutput:
    """One batch through ``model.forward`` with the stage's losses."""
    return model(**batch.model_inputs(stage), ctc_head=ctc_head, ctc_weight=1.0 if stage == "ctc" else config.ctc_weight)


@torch.no_grad()
def held_out_loss(model: ASRModel, ctc_head: CTCHead, features: Features, stage: str, config: TrainConfig,
                  device: torch.device, use_bf16: bool) -> float:
    """The stage's loss on the first ``EVAL_EXAMPLES`` clips of ``features`` (never trained on)."""
    n = min(EVAL_EXAMPLES, len(features))
    losses = []
    for start in range(0, n, 8):
        examples = [features[i] for i in range(start, min(n, start + 8))]
        batch = make_batch(examples, model.tokenizer, model.config.prompt, model.config.audio_downsample_rate)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            losses.append(compute_loss(model, ctc_head, batch.to(device), stage, config).loss.float().item() * len(examples))
    return sum(losses) / n


@torch.no_grad()
def calibrated_fusion_blank(model: ASRModel, features: Features, n_clips: int = BLANK_CALIBRATION_CLIPS) -> float:
    """The ``ctc_fusion_blank`` that suits ``model``'s projector: the blank score at which a
    ``FUSION_BLANK_QUANTILE`` share of the slots of the first ``n_clips`` clips of ``features``
    read as blanks (``ctc.even_blank_scores`` at the config's ``ctc_fusion_scale``), to 3
    decimals. A fixed blank suits one projector only: slots that score higher everywhere would
    hold a word nearly everywhere (README, "Each trained projector gets its own CTC fusion blank")."""
    projector = model.audio_projector
    device = next(projector.parameters()).device
    table, scale = token_embeddings(model.text_decoder), model.config.ctc_fusion_scale
    scores = [even_blank_scores(projector(features[i][0][None].to(device))[0], table, scale).cpu()
              for i in range(min(n_clips, len(features)))]
    return round(float(torch.cat(scores).quantile(FUSION_BLANK_QUANTILE)), 3)


def train(
    model: ASRModel,
    features: Features,
    config: TrainConfig,
    out_dir: str | Path,
    *,
    eval_features: Features | None = None,
    callback: Callable[[TrainState, ASRModel, CTCHead], None] | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train ``model.audio_projector`` on ``features``, stage by stage; resume from ``out_dir``
    if a checkpoint is there.

    Writes into ``out_dir``: ``checkpoint.pt`` every ``checkpoint_every`` steps, at the end
    of each stage and at the end; ``history.json`` (stage, losses and learning rate per
    step); and the trained model (``config.json`` + the projector, loadable with
    ``ASRModel.from_pretrained(out_dir)``), whose config's ``ctc_fusion_blank`` is set for the
    trained projector (``calibrated_fusion_blank``, on ``eval_features``, else the training clips).

    Args:
        eval_features: held-out clips; every ``eval_every`` steps the stage's loss on them
            is recorded as ``eval_loss`` (main process only).
        callback: called as ``callback(state, model, ctc_head)`` every ``eval_every`` steps
            (main process), e.g. to read out a held-out clip while the projector learns.

    Returns:
        The history: one dict per step, resumed steps included.
    """
    if features.encoder_dim != model.config.encoder_dim:
        raise ValueError(
            f"the feature cache holds {features.encoder_dim}-dim frames from {features.model_id}, "
            f"but this model's encoder is {model.config.encoder_dim}-dim; build the cache with this model"
        )
    accelerator = Accelerator()
    # Autocast by hand rather than Accelerator(mixed_precision=...): accelerate fixes that
    # setting once per process, so a notebook could not train twice in different precisions.
    use_bf16 = config.mixed_precision == "bf16" or (
        config.mixed_precision == "auto" and has_fast_bf16(accelerator.device))
    for name, size in (("batch_size", config.batch_size), ("ctc_batch_size", config.ctc_batch_size)):
        if size % accelerator.num_processes:
            raise ValueError(f"{name} {size} does not split over {accelerator.num_processes} processes")
    out_dir = Path(out_dir)
    checkpoint_path = out_dir / CHECKPOINT_FILE
    model.text_decoder.to(accelerator.device)
    ctc_head = ctc_head_for(model, features).to(accelerator.device)
    projector = model.audio_projector.to(accelerator.device).train()
    parameters = [*projector.parameters(), *ctc_head.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=config.ctc_lr, weight_decay=config.weight_decay)
    state = TrainState()
    if checkpoint_path.is_file():
        checkpoint = _load_checkpoint(checkpoint_path)
        projector.load_state_dict(checkpoint["projector"])
        ctc_head.load_state_dict(checkpoint["ctc_head"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        state = TrainState(**checkpoint["state"])
    # DDP-wrapped when launched on several processes; model.forward calls the wrapped projector
    model.audio_projector, optimizer = accelerator.prepare(projector, optimizer)

    bar = tqdm(total=config.total_steps, initial=state.step, desc="training projector",
               disable=not (progress and accelerator.is_main_process))
    while state.step < config.total_steps:
        stage = Stage.at(state.step, config)
        bar.set_description(f"training projector ({stage.name} stage)")
        lr = stage.lr * lr_factor(stage.step, stage.n_steps, config.warmup_steps, config.min_lr_ratio)
        for group in optimizer.param_groups:
            group["lr"] = lr
        chosen = batch_indices(stage.step, len(features), stage.batch_size, config.seed + STAGES.index(stage.name))
        share = chosen[accelerator.process_index :: accelerator.num_processes]
        examples = [features[i] for i in share]
        # seeded by (seed, step, process): a resumed run joins and perturbs exactly as the first did
        generator = torch.Generator().manual_seed((config.seed * 1_000_003 + state.step) * 64 + accelerator.process_index)
        if stage.name == "llm" and config.join_probability > 0:
            examples = join_clips(examples, features, config.join_probability, generator)
        if config.augment:
            masks = TIME_MASKS if stage.name == "ctc" else 0  # the LLM must not learn to invent masked words
            examples = [(augment_frames(frames, model.config.audio_downsample_rate, generator, time_masks=masks), text)
                        for frames, text in examples]
        batch = make_batch(examples, model.tokenizer, model.config.prompt, model.config.audio_downsample_rate)
        with torch.autocast(accelerator.device.type, dtype=torch.bfloat16, enabled=use_bf16):
            output = compute_loss(model, ctc_head, batch.to(accelerator.device), stage.name, config)
        accelerator.backward(output.loss)
        if accelerator.num_processes > 1:  # the head is not DDP-wrapped: average its gradients by hand
            for parameter in ctc_head.parameters():
                if parameter.grad is not None:
                    parameter.grad = accelerator.reduce(parameter.grad, "mean")
        accelerator.clip_grad_norm_(parameters, config.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        record = {"step": state.step + 1, "stage": stage.name, "lr": lr}
        for key in ("loss", "ctc_loss", "lm_loss"):
            value = getattr(output, key)
            if value is not None:
                record[key] = accelerator.reduce(value.detach().float(), "mean").item()
        state.step += 1
        stage_done = stage.step + 1 == stage.n_steps
        if accelerator.is_main_process and (state.step % config.eval_every == 0 or stage_done):
            wrapped, model.audio_projector = model.audio_projector, accelerator.unwrap_model(model.audio_projector)
            if eval_features is not None:
                record["eval_loss"] = held_out_loss(model, ctc_head, eval_features, stage.name, config,
                                                    accelerator.device, use_bf16)
            if callback is not None:
                callback(state, model, ctc_head)
            model.audio_projector = wrapped
        state.history.append(record)
        bar.update(1)
        bar.set_postfix(loss=f"{record['loss']:.3f}", lr=f"{lr:.2e}")
        if accelerator.is_main_process and (state.step % config.checkpoint_every == 0 or stage_done):
            _save_checkpoint(checkpoint_path, accelerator.unwrap_model(model.audio_projector), ctc_head, optimizer,
                             state, config)
        accelerator.wait_for_everyone()
    bar.close()

    model.audio_projector = accelerator.unwrap_model(model.audio_projector).eval()
    model.projector_source = str(out_dir / PROJECTOR_FILE)
    model.config.ctc_fusion_blank = calibrated_fusion_blank(model, features if eval_features is None else eval_features)
    if accelerator.is_main_process:
        model.save_pretrained(out_dir)
        atomic_write_bytes(out_dir / HISTORY_FILE, json.dumps(state.history).encode())
    accelerator.wait_for_everyone()
    return state.history
