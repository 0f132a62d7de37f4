"""Fine-tuning the shipped projector with the package's LLM stage (joins, augmentation; the CTC loss
off: a new, random CTC head would pull the slots away from what the LLM reads, README), and two
experiments on it:
--scale G: the LLM's loss taken on the *guided* distribution, the one the embedded preset writes
  from: at each transcript position, log-softmax(G * cond - (G - 1) * uncond), where cond are the
  LLM's logits with the audio slots and uncond its logits for the same transcript after the prompt
  without slots (no gradient: the projector cannot change them). 1 (default) is the plain loss.
--join P --join-max-seconds S: a share P of the batches joined clips (package default 0.25), each
  joined example at most S seconds long (inference cut speech at 7 s then: longer examples teach a
  length the LLM never reads); the package's joins have no cap.
--fixed-ctc W: an auxiliary CTC loss (weight W) with the head CTC fusion decodes with: no trained
  part, the whole embedding table at scale 7 and a fixed blank score 2.2 (`ctc.SlotScores`), so the
  slots learn to fit the very scores fusion reads, and no new random head pulls them.
Usage:
  python finetune_shipped.py OUT STEPS DATA[,DATA...] [--lr LR] [--scale G] [--join P] [--join-max-seconds S] [--fixed-ctc W] [--seed N]
e.g. python finetune_shipped.py /work/e2e/gft15 600 /work/e2e/data --lr 5e-4 --scale 1.5
then python eval_guidance.py /work/e2e/gft15 val40,librivox,synth60 1.5 4
"""
import argparse, sys
from pathlib import Path
import torch, transformers
transformers.logging.set_verbosity_error()
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, training
from tiny_audio.ctc import IGNORE_INDEX, CTCHead
from tiny_audio.decoder import token_embeddings
from tiny_audio.data.features import FeatureCache, JoinedFeatures
from tiny_audio.data.synth import read_manifest
from tiny_audio.decoder import build_prompt
from tiny_audio.encoder import ENCODER_FRAMES_PER_SECOND
from tiny_audio.training import TrainConfig, train

torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("steps", type=int); p.add_argument("data")
p.add_argument("--lr", type=float, default=5e-4); p.add_argument("--scale", type=float, default=1.0)
p.add_argument("--join", type=float, default=TrainConfig.join_probability)
p.add_argument("--join-max-seconds", type=float, help="cap on a joined example's length (default: none)")
p.add_argument("--fixed-ctc", type=float, default=0.0, help="weight of the fixed-head CTC loss (default 0: off)")
p.add_argument("--seed", type=int, default=TrainConfig.seed, help="the batches' order, joins and perturbations (default: the package's)")
a = p.parse_args()


def guided_loss(model, ctc_head, batch, stage, config):
    """``training.compute_loss`` for the LLM stage with the transcript scored under guidance."""
    output = model(**batch.model_inputs("llm", ctc=False))
    first = int((batch.labels != IGNORE_INDEX).int().argmax(-1).min()) - 1  # as in ASRModel.forward
    targets = batch.labels[:, first + 1:]
    counted = targets != IGNORE_INDEX
    cond = output.logits[:, :-1][counted].float().log_softmax(-1)  # (N, vocab), row-major over the batch
    output.lm_loss = torch.nn.functional.cross_entropy(cond, targets[counted])
    if a.scale == 1:
        output.loss = output.lm_loss
        return output
    prompt_ids = build_prompt(model.tokenizer, 0, model.config.prompt)[0]
    transcripts = [row_ids[row_labels != IGNORE_INDEX] for row_ids, row_labels in zip(batch.input_ids, batch.labels)]
    length = len(prompt_ids) + max(len(t) for t in transcripts)
    ids = torch.full((len(transcripts), length), model.tokenizer.eos_token_id, device=batch.input_ids.device)
    mask = torch.zeros_like(ids)
    labels = torch.full_like(ids, IGNORE_INDEX)
    for i, transcript in enumerate(transcripts):
        n = len(prompt_ids) + len(transcript)
        ids[i, : len(prompt_ids)], ids[i, len(prompt_ids): n] = prompt_ids, transcript
        labels[i, len(prompt_ids): n], mask[i, :n] = transcript, 1
    with torch.no_grad():
        logits = model.text_decoder(input_ids=ids, attention_mask=mask).logits
    uncond_counted = labels[:, 1:] != IGNORE_INDEX
    assert torch.equal(labels[:, 1:][uncond_counted], targets[counted])  # the same tokens, in the same order
    uncond = logits[:, :-1][uncond_counted].float().log_softmax(-1)
    guided = (a.scale * cond - (a.scale - 1) * uncond).log_softmax(-1)
    output.loss = torch.nn.functional.nll_loss(guided, targets[counted])
    return output


def capped_join(examples, features, probability, generator):
    """``training.join_clips`` with each joined example kept to ``--join-max-seconds``: an extra
    clip that would make it longer is left out (so some examples of a joined batch stay single)."""
    if float(torch.rand((), generator=generator)) >= probability:
        return examples
    cap = a.join_max_seconds * ENCODER_FRAMES_PER_SECOND
    joined = []
    for frames, text in examples:
        n_extra = int(torch.randint(1, training.JOIN_MAX_EXTRA + 1, (), generator=generator))
        for i in torch.randint(0, len(features), (n_extra,), generator=generator):
            extra_frames, extra_text = features[int(i)]
            if len(frames) + len(extra_frames) <= cap:
                frames, text = torch.cat([frames, extra_frames]), f"{text} {extra_text}"
        joined.append((frames, text))
    return joined


class FixedHead(CTCHead):
    """The CTC scores CTC fusion decodes with, as a training head with nothing to train: every
    token of the embedding table at the model's ``ctc_fusion_scale``, the blank a fixed score."""

    def __init__(self, model):
        table = token_embeddings(model.text_decoder).detach()
        super().__init__(table, range(len(table)), start_scale=model.config.ctc_fusion_scale)
        self.blank_score = model.config.ctc_fusion_blank
        self.requires_grad_(False)

    def forward(self, slots):
        scores = self.log_scale.exp() * (slots.float() @ self.table.T)  # (B, T, vocab)
        blank = torch.full_like(scores[..., :1], float(self.log_scale.exp()) * self.blank_score)
        return torch.cat([blank, scores], -1).log_softmax(-1)


if a.fixed_ctc:
    assert a.scale == 1, "--fixed-ctc with the plain loss only"
    training.ctc_head_for = lambda model, features: FixedHead(model)
else:
    training.compute_loss = guided_loss
if a.join_max_seconds:
    training.join_clips = capped_join


model = ASRModel.from_pretrained("embedded", device="cpu")
folders = [Path(f) for f in a.data.split(",")]
features = JoinedFeatures([FeatureCache.for_model(model, f, [(f / r["path"], r["text"]) for r in read_manifest(f)])
                           for f in folders])  # built on first use, as `tiny-audio train` does
config = TrainConfig(ctc_steps=0, steps=a.steps, lr=a.lr, ctc_weight=a.fixed_ctc, join_probability=a.join, seed=a.seed)
history = train(model, features, config, a.out)
tail = history[-100:]
print(f"last 100 steps: loss {sum(h['loss'] for h in tail) / len(tail):.3f}, "
      f"plain LM loss {sum(h['lm_loss'] for h in tail) / len(tail):.3f}")
