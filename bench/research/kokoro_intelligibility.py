"""Whisper base's own decoder on Kokoro speech as prepare-data makes it (piper's espeak-ng phonemes): 20 test sentences, the five voice packs in turn. Usage: python kokoro_intelligibility.py"""
import sys
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[2]))
from tiny_audio.data import corpus, synth
from tiny_audio.evaluation import word_error_rate
from tiny_audio.evaluation.reference import WhisperTranscriber
packs = [v for v in synth.available_voices() if v.engine == 'kokoro' and '+' not in v.name]
texts = corpus.sentences('test')[200:220]
w = WhisperTranscriber(device='cpu')
hyps = [w.transcribe(synth.synthesize(t, packs[i % 5])) for i, t in enumerate(texts)]
print('WER', round(100 * word_error_rate(texts, hyps), 1))
