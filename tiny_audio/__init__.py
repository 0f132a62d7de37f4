"""tiny_audio: an encoder-projector-decoder speech recognizer, one module per stage.

    sampling  -> log_mel -> encoder  -> projector -> decoder
    (16 kHz)     (mels)     (Whisper)   (trained)    (LLM)     -> text

``config`` and ``model`` put the stages together; ``plotting`` draws them; ``hub`` shares
a trained model (transformers' Auto classes, model card, upload) and ``demo`` serves it.
"""

from .clips import Clip, clip_names, load_clip, load_clips
from .config import PRESETS, ASRConfig
from .device import choose_device, choose_dtype
from .encoder import ENCODER_FRAMES_PER_SECOND, encode, n_encoder_frames
from .hub import register_auto_classes
from .log_mel import FRAMES_PER_SECOND, N_FRAMES, N_SAMPLES, log_mel_spectrogram, n_mel_frames
from .model import ASRModel
from .projector import AudioProjector, output_length, stack_frames
from .sampling import SAMPLE_RATE, degrade, load_audio, quantize
from .trace import Trace

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
