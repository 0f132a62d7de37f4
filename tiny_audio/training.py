"""Training the projector, the one trainable part, on cached encoder features (lesson 3).

The encoder and the LLM stay frozen. Each example is a prompt whose ``<audio>`` slots hold
the projector's output, followed by the transcript; the loss is the LLM's next-token
cross-entropy on the transcript tokens only (prompt, audio and padding are masked with
-100), so the projector learns exactly one thing: to say to the LLM what was spoken.

AdamW with linear warmup and cosine decay, gradient clipping, bf16 autocast on a GPU (and
on a CPU with native bf16 instructions, where it halves the step time).
Runs unchanged under ``accelerate launch`` (DDP): every process takes its share of each
global batch, and DDP averages the projector's gradients. The sample order is a pure
function of (seed, step), so a run resumed from a checkpoint continues exactly.
"""

from __future__ import annotations

import functools
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from tqdm.auto import tqdm

from .cache import atomic_write_bytes
from .decoder import build_prompt, merge_audio
from .device import has_fast_bf16
from .features import FeatureCache
from .model import PROJECTOR_FILE
from .projector import AudioProjector, output_length

CHECKPOINT_FILE = "checkpoint.pt"
HISTORY_FILE = "history.json"
IGNORE_INDEX = -100  # the label value cross-entropy skips


@dataclass
class TrainConfig:
    """How the projector is trained. The defaults suit the embedded preset on one GPU."""

    steps: int = 2000
    batch_size: int = 16  # global: split evenly across processes
    lr: float = 1e-3  # a small, freshly initialised layer tolerates a large rate
    min_lr_ratio: float = 0.1  # cosine decays to lr * this
    warmup_steps: int = 100  # ramp up while AdamW's moment estimates settle
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    checkpoint_every: int = 200
    seed: int = 0
    mixed_precision: str = "auto"  # "bf16", "no", or "auto": bf16 where the device runs it natively

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1 or self.checkpoint_every < 1:
            raise ValueError("steps, batch_size and checkpoint_every must be at least 1")
        if self.lr <= 0 or not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"need lr > 0 and 0 <= min_lr_ratio <= 1, got {self.lr} and {self.min_lr_ratio}")
        if self.mixed_precision not in ("auto", "bf16", "no"):
            raise ValueError(f"mixed_precision must be auto, bf16 or no, got {self.mixed_precision!r}")


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
    """

    frames: torch.Tensor
    n_audio_tokens: torch.Tensor
    input_ids: torch.Tensor
    audio_mask: torch.Tensor
    labels: torch.Tensor
    attention_mask: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(**{name: value.to(device) for name, value in vars(self).items()})


def make_batch(examples: list[tuple[torch.Tensor, str]], tokenizer, prompt: str, downsample_rate: int) -> Batch:
    """Tokenize and right-pad ``(frames (T, D), transcript)`` examples into one ``Batch``."""
    n_tokens = [output_length(len(frames), downsample_rate) for frames, _ in examples]
    prompts = [build_prompt(tokenizer, n, prompt) for n in n_tokens]
    targets = [tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for _, text in examples]
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
    )
    for i, ((frames, _), (prompt_ids, audio_mask), target) in enumerate(zip(examples, prompts, targets)):
        n_prompt, n_total = len(prompt_ids), len(prompt_ids) + len(target)
        batch.frames[i, : len(frames)] = frames
        batch.input_ids[i, :n_prompt] = prompt_ids
        batch.input_ids[i, n_prompt:n_total] = torch.tensor(target)
        batch.audio_mask[i, :n_prompt] = audio_mask
        batch.labels[i, n_prompt:n_total] = torch.tensor(target)  # the loss counts the transcript only
        batch.attention_mask[i, :n_total] = 1
    return batch


def projector_loss(projector: AudioProjector | torch.nn.Module, llm, batch: Batch) -> torch.Tensor:
    """Mean cross-entropy of the transcript tokens, with gradients only into the projector."""
    projected = projector(batch.frames)  # (B, T_max/k, D_llm)
    used = torch.arange(projected.shape[1], device=projected.device) < batch.n_audio_tokens[:, None]  # (B, T_max/k)
    embeds = merge_audio(llm.get_input_embeddings(), batch.input_ids, batch.audio_mask, projected[used])
    # Logits only from the position that predicts the first transcript token on: the output
    # layer is an (llm_dim x vocab) matmul per position, and the prompt's positions carry no loss.
    first = int((batch.labels != IGNORE_INDEX).int().argmax(-1).min()) - 1
    logits = llm(inputs_embeds=embeds, attention_mask=batch.attention_mask,
                 logits_to_keep=batch.labels.shape[1] - first).logits  # (B, L - first, vocab)
    targets = batch.labels[:, first + 1 :]  # (B, L - first - 1): the token each position predicts
    return F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE_INDEX)


def lr_factor(step: int, config: TrainConfig) -> float:
    """Learning-rate multiplier at ``step``: linear warmup, then cosine down to ``min_lr_ratio``."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine


@functools.lru_cache(maxsize=4)
def _epoch_order(seed: int, epoch: int, n_examples: int) -> tuple[int, ...]:
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return tuple(torch.randperm(n_examples, generator=generator).tolist())


def batch_indices(step: int, n_examples: int, config: TrainConfig) -> list[int]:
    """The examples of global batch ``step``: a fresh seeded shuffle every epoch, so the
    order depends only on (seed, step) and a resumed run sees the same batches."""
    positions = range(step * config.batch_size, (step + 1) * config.batch_size)
    return [_epoch_order(config.seed, p // n_examples, n_examples)[p % n_examples] for p in positions]


@dataclass
class TrainState:
    """What a checkpoint holds besides the projector and optimizer."""

    step: int = 0
    history: list[dict] = field(default_factory=list)  # {"step", "loss", "lr"} per step


def _save_checkpoint(path: Path, projector, optimizer, scheduler, state: TrainState, config: TrainConfig) -> None:
    buffer = io.BytesIO()
    torch.save({
        "projector": projector.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "state": asdict(state),
        "config": asdict(config),
    }, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # a damaged pickle fails in many ways
        raise ValueError(
            f"{path} is not a readable checkpoint ({type(err).__name__}); delete it to start over"
        ) from None


def train(model, features: FeatureCache, config: TrainConfig, out_dir: str | Path, *, progress: bool = True) -> list[dict]:
    """Train ``model.audio_projector`` on ``features``; resume from ``out_dir`` if a checkpoint is there.

    Writes into ``out_dir``: ``checkpoint.pt`` every ``checkpoint_every`` steps and at the
    end, ``history.json`` (loss and learning rate per step), and the trained model
    (``config.json`` + the projector, loadable with ``ASRModel.from_pretrained(out_dir)``).

    Returns:
        The history: one ``{"step", "loss", "lr"}`` per step, resumed steps included.
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
    if config.batch_size % accelerator.num_processes:
        raise ValueError(f"batch_size {config.batch_size} does not split over {accelerator.num_processes} processes")
    out_dir = Path(out_dir)
    checkpoint_path = out_dir / CHECKPOINT_FILE
    llm = model.text_decoder.to(accelerator.device)
    projector = model.audio_projector.to(accelerator.device).train()
    optimizer = torch.optim.AdamW(projector.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, config))
    state = TrainState()
    if checkpoint_path.is_file():
        checkpoint = _load_checkpoint(checkpoint_path)
        projector.load_state_dict(checkpoint["projector"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        state = TrainState(**checkpoint["state"])
    projector, optimizer = accelerator.prepare(projector, optimizer)  # DDP-wrapped when launched on several processes

    bar = tqdm(total=config.steps, initial=state.step, desc="training projector", disable=not (progress and accelerator.is_main_process))
    while state.step < config.steps:
        share = batch_indices(state.step, len(features), config)[accelerator.process_index :: accelerator.num_processes]
        batch = make_batch([features[i] for i in share], model.tokenizer, model.config.prompt, model.config.audio_downsample_rate)
        with torch.autocast(accelerator.device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss = projector_loss(projector, llm, batch.to(accelerator.device))
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(projector.parameters(), config.grad_clip)
        lr = scheduler.get_last_lr()[0]
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        mean_loss = accelerator.reduce(loss.detach().float(), "mean").item()
        state.step += 1
        state.history.append({"step": state.step, "loss": mean_loss, "lr": lr})
        bar.update(1)
        bar.set_postfix(loss=f"{mean_loss:.3f}", lr=f"{lr:.2e}")
        if accelerator.is_main_process and (state.step % config.checkpoint_every == 0 or state.step == config.steps):
            _save_checkpoint(checkpoint_path, accelerator.unwrap_model(projector), optimizer, scheduler, state, config)
        accelerator.wait_for_everyone()
    bar.close()

    model.audio_projector = accelerator.unwrap_model(projector).eval()
    model.projector_source = str(out_dir / PROJECTOR_FILE)
    if accelerator.is_main_process:
        model.save_pretrained(out_dir)
        atomic_write_bytes(out_dir / HISTORY_FILE, json.dumps(state.history).encode())
    accelerator.wait_for_everyone()
    return state.history
