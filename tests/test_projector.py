"""Stage 4: frame stacking, the projector's shapes, and its parameter count."""

from __future__ import annotations

import pytest
import torch

from tiny_audio import AudioProjector, output_length, stack_frames
from tiny_audio.projector import RMSNorm

SEED_PRINTOUT = """AudioProjector(
  (ln_pre): RMSNorm()
  (proj): Linear(in_features=6400, out_features=3584, bias=True)
  (ln_post): RMSNorm()
)"""


def test_seed_projector_prints_and_counts_like_the_seed():
    with torch.device("meta"):
        projector = AudioProjector(encoder_dim=1280, llm_dim=3584, downsample_rate=5)
    assert str(projector) == SEED_PRINTOUT
    assert sum(p.numel() for p in projector.parameters()) == 22_951_168


@pytest.mark.parametrize(("n_frames", "k", "expected"), [(150, 5, 30), (151, 5, 31), (149, 5, 30), (1, 5, 1), (150, 1, 150), (150, 4, 38)])
def test_output_length_rounds_up(n_frames, k, expected):
    assert output_length(n_frames, k) == expected
    assert AudioProjector(8, 4, k).output_length(n_frames) == expected


@pytest.mark.parametrize(("n_frames", "k"), [(0, 5), (10, 0)])
def test_output_length_rejects_nonsense(n_frames, k):
    with pytest.raises(ValueError, match="n_frames >= 1"):
        output_length(n_frames, k)


def test_stack_frames_concatenates_consecutive_frames_and_pads_the_tail():
    frames = torch.arange(2 * 7 * 3, dtype=torch.float32).reshape(2, 7, 3)  # (B, T, D)
    stacked = stack_frames(frames, 3)
    assert stacked.shape == (2, 3, 9)
    assert torch.equal(stacked[1, 0], frames[1, 0:3].reshape(-1))
    assert torch.equal(stacked[0, 1], frames[0, 3:6].reshape(-1))
    assert torch.equal(stacked[0, 2, :3], frames[0, 6])
    assert torch.count_nonzero(stacked[0, 2, 3:]) == 0  # zero padding for the missing frames


def test_stack_frames_wants_a_batch_axis():
    with pytest.raises(ValueError, match="unsqueeze"):
        stack_frames(torch.zeros(150, 512), 5)


def test_projector_maps_three_seconds_to_thirty_embeddings():
    torch.manual_seed(0)
    projector = AudioProjector(encoder_dim=64, llm_dim=48, downsample_rate=5)
    out = projector(torch.randn(2, 150, 64))
    assert out.shape == (2, 30, 48)
    # ln_post has unit gain at init, so every output vector has unit RMS
    assert torch.allclose(out.pow(2).mean(-1).sqrt(), torch.ones(2, 30), atol=1e-4)


def test_rmsnorm_keeps_dtype_and_normalises():
    x = torch.randn(3, 10, dtype=torch.bfloat16) * 100
    y = RMSNorm(10)(x)
    assert y.dtype == torch.bfloat16
    assert torch.allclose(y.float().pow(2).mean(-1), torch.ones(3), atol=2e-2)


def test_projector_gradients_reach_all_parameters():
    projector = AudioProjector(encoder_dim=16, llm_dim=8, downsample_rate=2)
    projector(torch.randn(1, 9, 16)).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in projector.parameters())
