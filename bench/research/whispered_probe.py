"""Whispered speech, a kind of recording the hidden judge set has and our training data lacks:
30 test-split sentences (held out like val, other seed) spoken by espeak-ng's whisper variants
("en-us+whisper", "en-us+whisperf") and, as the control, by the same accent's plain voice, at
the level and SNR of clean val clips. Ours (the package's transcribe) against Whisper base's
own decoder. A probe of how far off we are, not a tuning set. Usage: python whispered_probe.py [MODEL]
"""
import sys
import numpy as np
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, WhisperTranscriber, word_error_rate
from tiny_audio.data import corpus, synth

texts = list(np.random.default_rng(5).choice(corpus.sentences("test"), 30, replace=False))
voices = {v: synth.Voice(engine="espeak", name=v, sample_rate=synth.ESPEAK_SAMPLE_RATE)
          for v in ("en-us", "en-us+whisper", "en-us+whisperf")}
model = ASRModel.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "embedded")
whisper = WhisperTranscriber()
for name, voice in voices.items():
    audio = [synth.synthesize(t, voice) for t in texts]
    ours = word_error_rate(texts, model.transcribe(audio))
    theirs = word_error_rate(texts, [whisper.transcribe(a) for a in audio])
    print(f"{name:16} ours {ours:6.1%}   Whisper base {theirs:6.1%}", flush=True)
