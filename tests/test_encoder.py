"""Stage 3, the frozen Whisper encoder: ``encode`` is transformers' encoder, and a shorter
window (the clip plus a little padding) keeps the shapes and most of the frames."""

from __future__ import annotations

import pytest
import torch
from transformers import WhisperFeatureExtractor

from tiny_audio import SAMPLE_RATE, encode, load_clip, log_mel_spectrogram
from tiny_audio.encoder import encoder_context

pytestmark = pytest.mark.slow


def test_our_stages_match_transformers_whisper_encoder(embedded_model, monkeypatch):
    """Our log-mel + frame trimming give the same frames as the HF feature extractor path."""
    monkeypatch.setattr(embedded_model.config, "encoder_padding_seconds", None)  # the whole window, as HF runs it
    audio = load_clip("0880").audio
    _, frames = embedded_model.listen(audio)
    features = WhisperFeatureExtractor(feature_size=80)(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt")
    with torch.no_grad():
        hidden = embedded_model.audio_encoder.encoder(features.input_features).last_hidden_state[0, :150]
    assert torch.allclose(hidden, frames[0], atol=1e-3)


def test_full_window_encoding_is_exactly_whisper_encoders(embedded_model):
    """``encode`` spells WhisperEncoder.forward out (to allow shorter windows); over the
    whole window it must compute exactly what transformers does."""
    mel = log_mel_spectrogram(torch.from_numpy(load_clip("0880").audio), 80)[None]
    with torch.no_grad():
        reference = embedded_model.audio_encoder.encoder(mel).last_hidden_state[:, :150]
    assert torch.equal(encode(embedded_model.audio_encoder, mel, 150), reference)


def test_a_shorter_encoder_window_keeps_the_shapes_and_most_of_the_frames(embedded_model):
    audio = load_clip("0880").audio
    mel = log_mel_spectrogram(torch.from_numpy(audio), 80)[None]
    full = encode(embedded_model.audio_encoder, mel, 150)
    short = encode(embedded_model.audio_encoder, mel, 150, padding_seconds=5.0)  # runs 150 + 250 positions
    assert short.shape == full.shape == (1, 150, 512)
    similarity = torch.nn.functional.cosine_similarity(short[0], full[0], dim=-1).mean()
    assert 0.9 < similarity < 0.9999  # close to the full window's frames, not the same
    assert encoder_context(150, None) == 1500 and encoder_context(150, 5.0) == 400 and encoder_context(1400, 5) == 1500
    with pytest.raises(ValueError, match="padding_seconds must be >= 0"):
        encoder_context(150, -1.0)


def test_a_batch_with_padding_encodes_each_clip_as_it_would_alone(embedded_model, monkeypatch):
    """With ``encoder_padding_seconds``, a short clip batched with a long one attends over its
    own audio + padding, not the long clip's: the frames (and so the transcripts) are the
    same as alone, and the training cache holds what inference computes for one clip."""
    monkeypatch.setattr(embedded_model.config, "encoder_padding_seconds", 5.0)
    short, long = load_clip("0880").audio, load_clip("0870").audio  # 3.0 s and 7.1 s
    _, [short_batched, long_batched] = embedded_model.get_audio_features([short, long])
    _, [short_alone] = embedded_model.get_audio_features([short])
    _, [long_alone] = embedded_model.get_audio_features([long])
    assert torch.allclose(short_batched, short_alone, atol=1e-3) and torch.allclose(long_batched, long_alone, atol=1e-3)
    mels = torch.stack([log_mel_spectrogram(torch.from_numpy(a), 80) for a in (short, long)])
    one_context = encode(embedded_model.audio_encoder, mels, 355, padding_seconds=5.0)  # no row_frames
    assert not torch.allclose(one_context[0, :150], short_alone, atol=1e-3)  # the long clip's context would change it
