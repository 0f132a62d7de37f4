"""Share a trained recognizer: transformers' own entry points, a model card, the Hub.

After ``import tiny_audio`` (which calls ``tiny_audio.model.register_auto_classes``), a folder written by
``ASRModel.save_pretrained`` loads the way any transformers model does::

    AutoConfig.from_pretrained(folder)     -> ASRConfig
    AutoModel.from_pretrained(folder)      -> ASRModel (AutoModelForSpeechSeq2Seq too)
    pipeline("automatic-speech-recognition", model=folder,
             pipeline_class=SpeechRecognitionPipeline)("talk.wav")   -> {"text": ...}

``write_model_card(folder, evaluations)`` adds the README.md the Hub shows, built from the
saved config and measured word error rates; ``publish(folder, repo_id)`` uploads the
folder, or says in one line why it cannot (offline, Hub unreachable, no token).
"""

from __future__ import annotations

import math
import re
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
from huggingface_hub import EvalResult, HfApi, ModelCardData, constants, get_token
from huggingface_hub.utils import validate_repo_id
from safetensors import safe_open
from transformers import Pipeline

from ..weights import first_line
from ..weights.cache import atomic_write_bytes
from ..config import ASRConfig
from ..evaluation import Evaluation
from ..model import PROJECTOR_FILE, ASRModel
from ..sampling import load_audio

CONFIG_FILE = "config.json"  # what save_pretrained writes next to the projector
CARD_FILE = "README.md"  # the Hub renders a repository's README.md as its model card
PUBLISHED_FILES = (CONFIG_FILE, PROJECTOR_FILE, CARD_FILE)  # all a recognizer needs; nothing else is uploaded
HUB_TIMEOUT = 3.0  # seconds to wait for the Hub before calling it unreachable
FLOAT32_BYTES = 4


class SpeechRecognitionPipeline(Pipeline):
    """``transformers.pipeline`` for an ``ASRModel``: audio in, ``{"text": transcript}`` out.

    Build it with ``pipeline("automatic-speech-recognition", model=folder_or_model,
    pipeline_class=SpeechRecognitionPipeline)``. It accepts what the built-in speech
    pipeline accepts, except raw bytes: a file path, 16 kHz samples ``(n_samples,)``, or
    ``{"raw": samples, "sampling_rate": rate}`` (``"array"`` works for ``"raw"``, as in
    ``datasets``). Audio of any length is transcribed as ``model.transcribe`` does: in 30 s
    windows, or shorter pieces cut at pauses (``config.max_segment_seconds``).
    """

    # The model brings its own tokenizer and computes its own log-mel, so transformers
    # must not look for a tokenizer or feature extractor in the folder.
    _load_tokenizer = False
    _load_feature_extractor = False
    _load_processor = False
    _load_image_processor = False
    _load_video_processor = False

    def __init__(self, model: ASRModel, **kwargs) -> None:
        if not isinstance(model, ASRModel):
            raise ValueError(
                f"SpeechRecognitionPipeline runs an ASRModel, got {type(model).__name__}; "
                "for other speech models leave out pipeline_class"
            )
        super().__init__(model, **kwargs)

    def _sanitize_parameters(self, **kwargs) -> tuple[dict, dict, dict]:
        if kwargs:
            raise ValueError(
                f"SpeechRecognitionPipeline takes no options, got {sorted(kwargs)}; call it with the audio only"
            )
        return {}, {}, {}

    def preprocess(self, inputs: str | Path | np.ndarray | torch.Tensor | dict) -> dict[str, np.ndarray]:
        """Any accepted input -> ``{"audio": float32 mono 16 kHz samples (n_samples,)}``."""
        if isinstance(inputs, dict):
            samples = inputs.get("raw", inputs.get("array"))
            if samples is None or "sampling_rate" not in inputs:
                raise ValueError(
                    f"an audio dict needs 'raw' (or 'array') and 'sampling_rate', got keys {sorted(inputs)}; "
                    "pass {'raw': samples, 'sampling_rate': 16000}"
                )
            return {"audio": load_audio(samples, inputs["sampling_rate"])}
        return {"audio": load_audio(inputs)}

    def _forward(self, model_inputs: dict[str, np.ndarray]) -> dict[str, str]:
        return {"text": self.model.transcribe(model_inputs["audio"])}

    def postprocess(self, model_outputs: dict[str, str]) -> dict[str, str]:
        return model_outputs


# ---- the model card ----------------------------------------------------------------------


def model_card(
    folder: str | Path,
    evaluations: Mapping[str, Evaluation],
    *,
    repo_id: str | None = None,
    training: Mapping | None = None,
    license: str = "mit",
) -> str:
    """The README.md of a saved model: Hub metadata, then what it is, what the folder
    holds, how to load it, its measured WER and how it was trained.

    Args:
        folder: written by ``ASRModel.save_pretrained``; the architecture and sizes are read
            from its files, so the card describes exactly what was saved.
        evaluations: test-set name -> ``evaluate(model.transcribe, items)`` of this model.
        repo_id: the Hub id the loading examples use (default: the folder's name).
        training: how the projector was trained, e.g. ``shipped_training_record()``.
        license: the license of the published files (config and projector); the encoder
            and the LLM keep their own.
    """
    folder = Path(folder)
    if not evaluations:
        raise ValueError(
            "a model card needs at least one measured result; pass "
            "{'LibriVox': evaluate(model.transcribe, librivox_items())}"
        )
    config = ASRConfig.from_pretrained(folder)
    projector_path = folder / PROJECTOR_FILE
    if not projector_path.is_file():
        raise ValueError(f"{folder} holds no {PROJECTOR_FILE}; save the model there with model.save_pretrained(folder)")
    name = repo_id or folder.name
    with torch.device("meta"):  # parameter counts from the config alone: no memory, no download
        counts = ASRModel(config).parameter_counts()
    with safe_open(projector_path, "pt") as f:
        saved_params = sum(math.prod(f.get_slice(key).get_shape()) for key in f.keys())
    total = counts["encoder"] + counts["projector"] + counts["decoder"]
    files = {file: (folder / file).stat().st_size for file in (CONFIG_FILE, PROJECTOR_FILE)}
    k = config.audio_downsample_rate

    metadata = ModelCardData(
        model_name=name,
        language="en",
        license=license,
        pipeline_tag="automatic-speech-recognition",
        tags=["tiny-audio", "speech-recognition", "audio-llm"],
        base_model=[config.audio_model_id, config.text_model_id],
        eval_results=[
            EvalResult(
                task_type="automatic-speech-recognition",
                dataset_type=_slug(set_name),
                dataset_name=set_name,
                metric_type="wer",
                metric_value=round(100 * result.wer, 1),
            )
            for set_name, result in evaluations.items()
        ],
    )
    lines = [
        "---",
        metadata.to_yaml(),
        "---",
        "",
        f"# {name}",
        "",
        "A speech recognizer in three parts, made with the tiny-audio course: a frozen Whisper "
        "encoder listens, a small trained projector translates its frames into the LLM's "
        "embeddings, and a frozen LLM writes the transcript.",
        "",
        "| part | model | parameters | in this repository |",
        "| --- | --- | ---: | --- |",
        f"| encoder (frozen) | [{config.audio_model_id}](https://huggingface.co/{config.audio_model_id}) "
        f"| {counts['encoder']:,} | no: loaded from its own id |",
        f"| projector (trained) | stack {k} frames, RMSNorm, Linear {config.encoder_dim * k} -> "
        f"{config.llm_dim}, RMSNorm | {saved_params:,} | yes: `{PROJECTOR_FILE}` |",
        f"| decoder (frozen) | [{config.text_model_id}](https://huggingface.co/{config.text_model_id}) "
        f"| {counts['decoder']:,} | no: loaded from its own id |",
        "",
        f"Besides this card, the repository holds {_size(sum(files.values()))}: "
        f"{', '.join(f'`{n}` ({_size(s)})' for n, s in files.items())}. "
        f"The whole model has {total:,} parameters ({_size(FLOAT32_BYTES * total)} in float32); "
        "the encoder and the LLM are downloaded from their own repositories, by the ids in `config.json`.",
        "",
        "## Use",
        "",
        "```python",
        "import tiny_audio.publish  # pip install tiny-audio; registers the model with transformers",
        "from transformers import AutoModel, pipeline",
        "",
        f'model = AutoModel.from_pretrained("{name}")  # or tiny_audio.ASRModel.from_pretrained',
        f'asr = pipeline("automatic-speech-recognition", model="{name}",',
        "               pipeline_class=tiny_audio.publish.SpeechRecognitionPipeline)",
        'print(asr("speech.wav")["text"])',
        "```",
        "",
        "## Evaluation",
        "",
        f"Word error rate (jiwer, on text normalized like Whisper's papers; {decoding_description(config)}):",
        "",
        "| test set | clips | WER |",
        "| --- | ---: | ---: |",
        *(f"| {set_name} | {len(r.clips)} | {r.wer:.1%} |" for set_name, r in evaluations.items()),
        "",
    ]
    for set_name, result in evaluations.items():
        clip = result.clips[0]
        lines += [
            f"One clip of {set_name}, {clip.name} (WER {clip.wer:.0%}):",
            "",
            f"- said: {clip.reference!r}",
            f"- written: {clip.hypothesis!r}",
            "",
        ]
    if training is not None:
        lines += ["## Training", "", *_training_paragraphs(training)]
    lines += ["## Limitations", ""]
    for set_name, result in evaluations.items():
        worse = ": more errors than words, so its transcripts are mostly not what was said" if result.wer >= 1 else ""
        lines.append(f"- On {set_name}: about {round(100 * result.wer)} word errors per 100 spoken words{worse}.")
    lines += [
        "- English only: the projector was trained on English speech alone.",
        "- Each 30 s window of audio is transcribed on its own; words cut at a window's edge may be lost."
        if config.max_segment_seconds is None else
        f"- Speech longer than {config.max_segment_seconds:g} s is cut at its pauses and each piece is transcribed "
        "on its own; a word cut where there was no pause may be lost.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(folder: str | Path, evaluations: Mapping[str, Evaluation], **kwargs) -> Path:
    """Write ``model_card(folder, evaluations, **kwargs)`` to ``folder/README.md``
    (through a temporary file); returns its path."""
    path = Path(folder) / CARD_FILE
    atomic_write_bytes(path, model_card(folder, evaluations, **kwargs).encode())
    return path


def decoding_description(config: ASRConfig) -> str:
    """How a model with this config writes its transcripts, in words: "greedy decoding", "beam search over 4 candidates, ...";
    the model card and the shipped training record say it so."""
    words = "greedy decoding" if config.beams == 1 else f"beam search over {config.beams} candidates"
    if config.guidance_scale != 1:
        words += f", guided toward the audio at scale {config.guidance_scale:g}"
    if config.ctc_fusion_weight != 0:
        words += f", its likeliest tokens rescored by the slots' CTC scores at weight {config.ctc_fusion_weight:g}"
    if config.max_segment_seconds is not None:
        words += f", speech over {config.max_segment_seconds:g} s cut at its pauses"
    return words


def _slug(name: str) -> str:
    """A test-set name as a metadata id: ``"LibriVox (5 clips)"`` -> ``"librivox-5-clips"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _size(n_bytes: int) -> str:
    """``2977`` -> ``"3.0 kB"``, ``5913496`` -> ``"5.9 MB"``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} B"


def _training_paragraphs(record: Mapping) -> list[str]:
    """A training record (``presets.training_record()``) as the card's prose: what was
    trained, on what, how long, how the loss went, the commands, and what it measured."""
    said = ["Only the projector was trained; the encoder and the LLM stayed frozen."]
    if "steps" in record:
        stages = list(dict.fromkeys(point["stage"] for point in record.get("history", [])))  # in the order they ran
        sentence = f"It took {record['steps']:,} optimizer steps"
        if stages:
            sentence += " over " + " and ".join(f"the {stage} stage" for stage in stages)
        if "train_minutes" in record and "machine" in record:
            sentence += f", {record['train_minutes']:.0f} minutes on {record['machine']}"
        said.append(sentence + ".")
    if "data" in record:
        said.append(f"Training data: {record['data']}.")
    if "final_loss_mean_of_last_100" in record:
        said.append(f"Its training loss over the last 100 steps averaged {record['final_loss_mean_of_last_100']}.")
    lines = [" ".join(said), ""]
    if "command" in record:
        lines += ["The commands that made it:", "", "```bash", *record["command"].split(" && "), "```", ""]
    if "wer" in record:
        measured = ", ".join(f"{name} {wer:.1%}" for name, wer in record["wer"].items())
        if "wer_when_shipped" in record:  # measured again since it was shipped (.ci/ship_projector.py --remeasure)
            shipped = ", ".join(f"{name} {wer:.1%}" for name, wer in record["wer_when_shipped"].items())
            line = f"Measured on {record['wer_measured']}: WER {measured}; when it was shipped: {shipped}"
        elif "wer_measured" in record:
            line = f"When it was shipped ({record['wer_measured']}) it measured WER {measured}"
        else:
            line = f"When it was shipped it measured WER {measured}"
        if "whisper_own_decoder_wer" in record:
            whisper = ", ".join(f"{name} {wer:.1%}" for name, wer in record["whisper_own_decoder_wer"].items())
            line += f" (Whisper's own decoder on the same clips: {whisper})"
        lines += [line + ".", ""]
    return lines


# ---- publishing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """The outcome of ``publish``: the repository's URL, or None and why not."""

    url: str | None
    message: str  # one line: where it went, or why not and what to do

    def __str__(self) -> str:
        return self.message


def hub_unavailable(endpoint: str | None = None, *, token: str | None = None, timeout: float = HUB_TIMEOUT) -> str | None:
    """Why nothing can be uploaded from here right now, in one line; None when it can.

    Checks, quickly and in this order: offline mode (``HF_HUB_OFFLINE``), whether the Hub
    answers within ``timeout`` seconds, and whether there is a token.

    Args:
        endpoint: the Hub's URL (default: ``huggingface_hub``'s, normally https://huggingface.co).
        token: a Hugging Face token (default: the one ``hf auth login`` stored, or ``HF_TOKEN``).
    """
    endpoint = endpoint or constants.ENDPOINT
    if constants.is_offline_mode():
        return "HF_HUB_OFFLINE is set, so nothing may reach the Hub; unset it, then publish again"
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    if not _answers(url.hostname, port, timeout):
        return f"{url.hostname} cannot be reached (no internet?); the saved folder is complete: publish it later"
    if (token or get_token()) is None:
        return "no Hugging Face token; run `hf auth login` with a write token (or set HF_TOKEN), then publish again"
    return None


def _answers(host: str, port: int, timeout: float) -> bool:
    """True when a TCP connection to ``host:port`` opens within ``timeout`` seconds. The
    attempt runs in a daemon thread, so a name lookup that hangs cannot hold us longer."""
    opened: list[bool] = []
    done = threading.Event()

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            opened.append(True)
        except OSError:
            pass
        finally:
            done.set()

    threading.Thread(target=attempt, daemon=True).start()
    done.wait(timeout)
    return bool(opened)


def publish(
    folder: str | Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    endpoint: str | None = None,
    timeout: float = HUB_TIMEOUT,
) -> Published:
    """Upload a saved model folder (config, projector, model card) to a Hub repository in
    one commit, creating the repository if needed.

    Never hangs: when the Hub cannot be used (see ``hub_unavailable``) or refuses the
    upload, the result says why in one line instead of raising.

    Args:
        folder: holds ``config.json``, ``model.safetensors`` (``save_pretrained``) and
            ``README.md`` (``write_model_card``); only these three files are uploaded.
        repo_id: ``"your-name/model-name"``.
        token: a write token (default: the stored login).
        private: create the repository as private.
        endpoint: the Hub's URL (default: huggingface_hub's).
    """
    folder = Path(folder)
    missing = [name for name in PUBLISHED_FILES if not (folder / name).is_file()]
    if missing:
        raise ValueError(
            f"{folder} lacks {', '.join(missing)}; write it with model.save_pretrained(folder) "
            "and write_model_card(folder, evaluations) first"
        )
    try:
        validate_repo_id(repo_id)
    except ValueError as err:
        raise ValueError(f"{repo_id!r} is not a Hub repository id ({err}); use 'your-name/model-name'") from None
    if (reason := hub_unavailable(endpoint, token=token, timeout=timeout)) is not None:
        return Published(None, f"not published: {reason}")
    api = HfApi(endpoint=endpoint or constants.ENDPOINT, token=token)
    try:
        repo = api.create_repo(repo_id, private=private, exist_ok=True)
        api.upload_folder(
            folder_path=folder,
            repo_id=repo.repo_id,
            allow_patterns=list(PUBLISHED_FILES),
            commit_message="Upload a tiny-audio recognizer (config, projector, model card)",
        )
    except OSError as err:  # HfHubHTTPError (401, 403, ...) is one, so is OfflineModeIsEnabled
        return Published(None, f"not published: the Hub refused ({first_line(err)}); "
                               "check the repo id and that your token may write to it")
    return Published(str(repo), f"published {folder.name} to {repo}")
