"""Pick where the model runs: a GPU in bf16 when there is one, else the CPU in float32."""

from __future__ import annotations

import torch


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` when given, else ``cuda`` if a GPU is visible, else ``cpu``."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def choose_dtype(device: torch.device, dtype: torch.dtype | str | None = None) -> torch.dtype:
    """``dtype`` when given, else bf16 on a GPU (half the memory, same range as fp32)
    and float32 on a CPU (where bf16 matmuls are slow on most laptops)."""
    if isinstance(dtype, str):
        if not isinstance(getattr(torch, dtype, None), torch.dtype):
            raise ValueError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16")
        return getattr(torch, dtype)
    if dtype is not None:
        return dtype
    return torch.bfloat16 if device.type == "cuda" else torch.float32


def has_fast_bf16(device: torch.device) -> bool:
    """True where bf16 matmuls run at least as fast as float32: any GPU, and CPUs with
    native bf16 instructions (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slow."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
