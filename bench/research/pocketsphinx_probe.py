"""Six short real recordings from the pocketsphinx 5.1.1 sdist's test data (the five `cards/*.wav`
with `cards.transcription`, and `goforward.raw`, "go forward ten meters"): other speakers than the
bundled LibriVox reader, command-style speech, never trained on. A probe, not a tuning set (24 words).
Shipped projector against another projector file (with its blank).
Usage: curl -sO <the pocketsphinx-5.1.1.tar.gz sdist URL from PyPI> && tar xzf pocketsphinx-5.1.1.tar.gz
       python pocketsphinx_probe.py pocketsphinx-5.1.1/test/data OTHER.safetensors OTHER_BLANK
e.g. (the projector shipped before 2026-12-07's fine-tuning)
       git show 87ccb81:tiny_audio/presets/embedded.safetensors > /tmp/old.safetensors
       python pocketsphinx_probe.py /tmp/ps/pocketsphinx-5.1.1/test/data /tmp/old.safetensors 2.2"""
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_audio import ASRModel, word_error_rate
from tiny_audio.sampling import load_audio

data, other, other_blank = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
lines = [line for line in (data / "cards/cards.transcription").read_text().splitlines() if line.strip()]
items = [(load_audio(str(data / f"cards/{line.split('(')[1][:3]}.wav")), line.split("<s>")[1].split("</s>")[0].strip())
         for line in lines]
items.append((np.fromfile(data / "goforward.raw", dtype="<i2").astype(np.float32) / 32768, "go forward ten meters"))
model = ASRModel.from_pretrained("embedded", device="cpu")
shipped = model.transcribe([audio for audio, _ in items])
model.load_projector(other)
model.config.ctc_fusion_blank = other_blank
before = model.transcribe([audio for audio, _ in items])
for (_, text), a, b in zip(items, shipped, before):
    print(f"{text!r:50} shipped {a!r} | other {b!r}")
references = [text for _, text in items]
print(f"WER shipped {word_error_rate(references, shipped):.1%}, other {word_error_rate(references, before):.1%}")
