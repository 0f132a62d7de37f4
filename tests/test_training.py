"""Training the projector: loss mask, schedule, data order, exact resume, DDP, checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tiny_audio.config import ASRConfig
from tiny_audio.ctc import even_blank_scores
from tiny_audio import training
from tiny_audio.decoder import merge_audio, token_embeddings
from tiny_audio.training import (
    CHECKPOINT_FILE,
    HISTORY_FILE,
    IGNORE_INDEX,
    FUSION_BLANK_QUANTILE,
    Stage,
    TrainConfig,
    augment_frames,
    join_clips,
    batch_indices,
    compute_loss,
    ctc_head_for,
    lr_factor,
    make_batch,
    calibrated_fusion_blank,
    train,
)


@pytest.fixture
def model(tiny_model):
    return tiny_model()


@pytest.fixture
def features(model, tiny_features, tmp_path):
    return tiny_features(model, tmp_path / "features")


def test_loss_counts_the_transcript_only(model, features):
    batch = make_batch([features[0], features[1]], model.tokenizer, model.config.prompt, 5)
    for i, (frames, text) in enumerate([features[0], features[1]]):
        labelled = batch.labels[i][batch.labels[i] != IGNORE_INDEX]
        expected = model.tokenizer(text, add_special_tokens=False)["input_ids"] + [model.tokenizer.eos_token_id]
        assert labelled.tolist() == expected
        assert int(batch.audio_mask[i].sum()) == int(batch.n_audio_tokens[i]) == -(-len(frames) // 5)
        assert not (batch.audio_mask[i] & (batch.labels[i] != IGNORE_INDEX)).any()
        n_prompt = int((batch.labels[i] == IGNORE_INDEX).sum() - (batch.attention_mask[i] == 0).sum())
        assert int(batch.attention_mask[i].sum()) == n_prompt + len(expected)
    assert batch.frames.shape[:2] == (2, max(len(features[0][0]), len(features[1][0])))


def test_loss_equals_transformers_own_over_the_whole_sequence(model, features):
    """Computing logits only where transcript tokens are predicted changes nothing but the cost."""
    batch = make_batch([features[i] for i in range(len(features))], model.tokenizer, model.config.prompt, 5)
    projected = model.audio_projector(batch.frames)
    used = torch.arange(projected.shape[1]) < batch.n_audio_tokens[:, None]
    embeds = merge_audio(model.text_decoder.get_input_embeddings(), batch.input_ids, batch.audio_mask, projected[used])
    reference = model.text_decoder(inputs_embeds=embeds, attention_mask=batch.attention_mask, labels=batch.labels).loss
    lm_loss = model(**batch.model_inputs("llm", ctc=False)).lm_loss
    assert lm_loss.item() == pytest.approx(reference.item(), rel=1e-5)


def test_ctc_stage_runs_no_llm_and_the_llm_stage_adds_its_share_of_ctc(model, features, monkeypatch):
    batch = make_batch([features[i] for i in range(3)], model.tokenizer, model.config.prompt, 5)
    head = ctc_head_for(model, features)
    config = TrainConfig(ctc_weight=0.25)
    calls = []
    monkeypatch.setattr(model.text_decoder, "forward", lambda *a, **k: calls.append(1))
    ctc = compute_loss(model, head, batch, "ctc", config)
    assert calls == [] and ctc.lm_loss is None and ctc.logits is None and ctc.loss == ctc.ctc_loss > 0
    monkeypatch.undo()
    both = compute_loss(model, head, batch, "llm", config)
    assert both.loss.item() == pytest.approx(both.lm_loss.item() + 0.25 * both.ctc_loss.item(), rel=1e-6)
    assert both.ctc_loss.item() == pytest.approx(ctc.ctc_loss.item(), rel=1e-6)


def test_ctc_labels_are_the_transcript_as_it_reads_mid_sentence(model, features):
    batch = make_batch([features[0]], model.tokenizer, model.config.prompt, 5)
    ids = batch.ctc_labels[0][batch.ctc_labels[0] != IGNORE_INDEX].tolist()
    assert model.tokenizer.decode(ids) == " " + features[0][1]


def test_the_stages_follow_each_other():
    config = TrainConfig(ctc_steps=3, ctc_batch_size=16, ctc_lr=2e-3, steps=2, batch_size=4, lr=5e-4)
    stages = [Stage.at(step, config) for step in range(config.total_steps)]
    assert [(s.name, s.step, s.batch_size, s.lr) for s in stages] == [
        ("ctc", 0, 16, 2e-3), ("ctc", 1, 16, 2e-3), ("ctc", 2, 16, 2e-3), ("llm", 0, 4, 5e-4), ("llm", 1, 4, 5e-4)]


def test_learning_rate_warms_up_then_decays():
    factors = [lr_factor(s, 100, 10, 0.1) for s in range(100)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[9:], factors[10:]))
    assert factors[-1] == pytest.approx(0.1, abs=0.01)


def test_data_order_is_a_seeded_shuffle_per_epoch():
    epoch = batch_indices(0, 8, 4, 3) + batch_indices(1, 8, 4, 3)
    assert sorted(epoch) == list(range(8))
    assert batch_indices(1, 8, 4, 3) == batch_indices(1, 8, 4, 3)
    assert epoch != batch_indices(0, 8, 8, 4)


def test_training_lowers_the_loss_and_writes_a_loadable_projector(model, features, tiny_model, tmp_path):
    # no joined batches: a batch of 2-3 clips per example has a different loss level, which
    # would blur a comparison of the first and last five steps (joins: tested on their own)
    config = TrainConfig(ctc_steps=10, ctc_batch_size=6, steps=30, batch_size=6, lr=3e-3, warmup_steps=3,
                         checkpoint_every=10, join_probability=0.0)
    history = train(model, features, config, tmp_path / "run", progress=False)
    assert [h["stage"] for h in history] == ["ctc"] * 10 + ["llm"] * 30
    ctc = [h["ctc_loss"] for h in history[:10]]
    lm = [h["lm_loss"] for h in history[10:]]
    # A random tiny LLM is nearly uniform (loss ~ ln 49152 = 10.8) and barely moved by its
    # inputs, so the drop is small; an untouched projector would repeat the same loss exactly.
    assert sum(ctc[-3:]) < sum(ctc[:3]) and sum(lm[-5:]) < sum(lm[:5]) - 1e-3
    assert json.loads((tmp_path / "run" / HISTORY_FILE).read_text()) == history
    fresh = tiny_model(seed=1)
    fresh.load_projector(tmp_path / "run" / "model.safetensors")
    for a, b in zip(fresh.audio_projector.parameters(), model.audio_projector.parameters()):
        assert torch.equal(a, b)


def test_augmentation_shifts_masks_and_drops_reproducibly():
    frames = torch.randn(200, 16) + 5.0  # no feature is zero by chance
    one = augment_frames(frames, 5, torch.Generator().manual_seed(3))
    again = augment_frames(frames, 5, torch.Generator().manual_seed(3))
    other = augment_frames(frames, 5, torch.Generator().manual_seed(4))
    assert torch.equal(one, again) and not torch.equal(one, other)
    shift = 200 - len(one)
    assert 0 <= shift <= 4 and one.shape[1] == 16
    kept = one != 0
    assert torch.equal(one[kept], (frames[shift:][kept] / 0.9))  # survivors are scaled, not changed
    dropped = (~kept).float().mean().item()
    assert 0.05 < dropped < 0.25  # ~10% dropout plus up to 20 masked frames of 200
    assert augment_frames(frames, 5, torch.Generator().manual_seed(3)).data_ptr() != frames.data_ptr()


def test_joined_clips_are_whole_clips_in_a_row_with_their_transcripts(features):
    examples = [features[i] for i in range(4)]
    always = join_clips(examples, features, 1.0, torch.Generator().manual_seed(0))
    by_text = {text: frames for frames, text in (features[i] for i in range(len(features)))}
    for (frames, text), (joined_frames, joined_text) in zip(examples, always):
        assert joined_text.startswith(text + " ") and len(joined_frames) > len(frames)
        assert torch.equal(joined_frames[: len(frames)], frames)
        # the rest is whole cached clips, each with its own transcript, in the same order
        rest_frames, rest_text = joined_frames[len(frames):], joined_text[len(text) + 1:]
        while rest_text:
            following = next(t for t in by_text if rest_text == t or rest_text.startswith(t + " "))
            n = len(by_text[following])
            assert torch.equal(rest_frames[:n], by_text[following])
            rest_frames, rest_text = rest_frames[n:], rest_text[len(following) + 1:]
        assert len(rest_frames) == 0
    never = join_clips(examples, features, 0.0, torch.Generator().manual_seed(0))
    assert [t for _, t in never] == [t for _, t in examples]
    again = join_clips(examples, features, 1.0, torch.Generator().manual_seed(0))
    assert [t for _, t in again] == [t for _, t in always]  # seeded: a resumed run joins the same clips


def test_clips_are_joined_for_whole_batches_or_not_at_all(features):
    """A batch is as slow as its longest example: joining one example would slow them all."""
    examples = [features[i] for i in range(4)]
    texts = [t for _, t in examples]
    outcomes = []
    for seed in range(40):
        joined = join_clips(examples, features, 0.25, torch.Generator().manual_seed(seed))
        n_joined = sum(t != original for (_, t), original in zip(joined, texts))
        assert n_joined in (0, len(examples))
        outcomes.append(n_joined > 0)
    assert 3 <= sum(outcomes) <= 20  # about a quarter of the batches (10 of 40 expected)


def test_the_llm_stage_augmentation_masks_no_frames():
    frames = torch.randn(200, 16) + 5.0
    unmasked = augment_frames(frames, 5, torch.Generator().manual_seed(3), time_masks=0)
    zero_rows = (unmasked == 0).all(-1).sum().item()
    assert zero_rows == 0  # only single features drop out: no whole frame (no word) goes missing
    assert 0.05 < (unmasked == 0).float().mean().item() < 0.15


@pytest.mark.parametrize("stage_steps", [dict(ctc_steps=1, steps=0), dict(ctc_steps=0, steps=1)], ids=["ctc", "llm"])
def test_each_stage_trains_on_augmented_frames_unless_told_not_to(features, tiny_model, tmp_path, stage_steps):
    losses = {}
    for augment in (True, False):
        config = TrainConfig(ctc_batch_size=4, batch_size=4, augment=augment, **stage_steps)
        losses[augment] = train(tiny_model(), features, config, tmp_path / str(augment), progress=False)[0]["loss"]
    assert losses[True] != pytest.approx(losses[False], rel=1e-6)


def test_resuming_continues_exactly(features, tiny_model, tmp_path, monkeypatch):
    config = TrainConfig(ctc_steps=2, ctc_batch_size=4, steps=4, batch_size=2, warmup_steps=2, checkpoint_every=3)
    straight = train(tiny_model(), features, config, tmp_path / "straight", progress=False)

    import tiny_audio.training as training

    real_loss, calls = training.compute_loss, []

    def crash_at_step_5(*args):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # killed after the step-3 checkpoint
        return real_loss(*args)

    monkeypatch.setattr(training, "compute_loss", crash_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_model(), features, config, tmp_path / "resumed", progress=False)
    checkpoint = torch.load(tmp_path / "resumed" / CHECKPOINT_FILE, weights_only=True)
    assert checkpoint["state"]["step"] == 3  # saved at the end of the ctc stage (2) and at step 3
    monkeypatch.setattr(training, "compute_loss", real_loss)
    restarted = tiny_model()  # same frozen parts; the projector must come from the checkpoint
    with torch.no_grad():
        for p in restarted.audio_projector.parameters():
            p.zero_()
    resumed = train(restarted, features, config, tmp_path / "resumed", progress=False)
    assert [h["step"] for h in resumed] == [1, 2, 3, 4, 5, 6]
    assert [h["stage"] for h in resumed] == ["ctc", "ctc", "llm", "llm", "llm", "llm"]
    for a, b in zip(straight, resumed):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-6) and a["lr"] == pytest.approx(b["lr"])


def test_corrupt_checkpoint_is_one_clear_line(model, features, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / CHECKPOINT_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="delete it to start over"):
        train(model, features, TrainConfig(ctc_steps=0, steps=2, batch_size=2), tmp_path / "run", progress=False)


def test_cache_from_another_encoder_is_refused(features, tiny_model):
    wide = tiny_model()
    wide.config.encoder_dim = 512
    with pytest.raises(ValueError, match="build the cache with this model"):
        train(wide, features, TrainConfig(ctc_steps=0, steps=1, batch_size=2), features.folder.parent / "run", progress=False)


@pytest.mark.slow
def test_two_process_ddp_keeps_projectors_identical(tiny_model, tmp_path):
    worker = Path(__file__).parent / "ddp_worker.py"
    result = subprocess.run(
        # --multi_gpu starts the processes with torchrun; without CUDA, accelerate runs them on CPU with gloo.
        [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no", str(worker), str(tmp_path)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(worker.parent), os.environ.get("PYTHONPATH", "")])},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rank0 = torch.load(tmp_path / "projector-rank0.pt")
    rank1 = torch.load(tmp_path / "projector-rank1.pt")
    initial = tiny_model().audio_projector.state_dict()
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    assert not torch.equal(rank0["proj.weight"], initial["proj.weight"])  # it did train


def test_unknown_mixed_precision_is_refused():
    with pytest.raises(ValueError, match="mixed_precision must be auto, bf16 or no"):
        TrainConfig(mixed_precision="fp8")


def test_bf16_autocast_changes_the_arithmetic_not_the_result(tiny_model, tiny_features, tmp_path):
    # both precisions in one process: accelerate's once-per-process precision setting is not used
    losses = {}
    for precision in ("no", "bf16"):
        model = tiny_model()
        features = tiny_features(model, tmp_path / precision / "features")
        config = TrainConfig(ctc_steps=0, steps=3, batch_size=4, warmup_steps=1, checkpoint_every=3, mixed_precision=precision)
        losses[precision] = [h["loss"] for h in train(model, features, config, tmp_path / precision / "run", progress=False)]
    assert losses["no"] != losses["bf16"]  # autocast really ran the matmuls in bf16
    assert losses["no"] == pytest.approx(losses["bf16"], abs=1e-2)


def test_a_trained_model_reports_where_its_projector_is(model, features, tmp_path):
    assert not model.is_trained
    train(model, features, TrainConfig(ctc_steps=0, steps=1, batch_size=2, checkpoint_every=1), tmp_path / "run", progress=False)
    assert model.is_trained and model.projector_source == str(tmp_path / "run" / "model.safetensors")


def test_the_calibrated_fusion_blank_reads_a_fixed_share_of_the_slots_as_blanks(model, features):
    table, scale = token_embeddings(model.text_decoder), model.config.ctc_fusion_scale
    with torch.no_grad():
        scores = [even_blank_scores(model.audio_projector(frames[None])[0], table, scale) for frames, _ in features]
    for n_clips in (2, len(features)):
        expected = float(torch.cat(scores[:n_clips]).quantile(FUSION_BLANK_QUANTILE))
        assert calibrated_fusion_blank(model, features, n_clips) == pytest.approx(expected, abs=6e-4)  # 3 decimals


@pytest.mark.parametrize("held_out", [False, True])
def test_a_trained_model_gets_its_own_fusion_blank(model, features, tiny_features, tmp_path, monkeypatch, held_out):
    # calibrated on the held-out clips when there are any, else on the training clips; saved in the config
    eval_features = tiny_features(model, tmp_path / "held-out", seed=3) if held_out else None
    calibrated_on = []

    def calibrate(model, features):
        calibrated_on.append(features)
        return 1.234

    monkeypatch.setattr(training, "calibrated_fusion_blank", calibrate)
    train(model, features, TrainConfig(ctc_steps=1, steps=0, ctc_batch_size=2), tmp_path / "run",
          eval_features=eval_features, progress=False)
    assert calibrated_on == [eval_features if held_out else features]
    assert ASRConfig.from_pretrained(tmp_path / "run").ctc_fusion_blank == model.config.ctc_fusion_blank == 1.234
