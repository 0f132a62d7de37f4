# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 5 — Publishing and deployment
#
# **Goal:** turn a trained recognizer into something other people can load, read about and
# try: a small saved folder, the standard `transformers` entry points, an honest model card,
# a Hub repository, and a demo in the browser.
#
# A model on your disk helps nobody else. By the end of this lesson you will be able to say:
#
# - what `save_pretrained` writes for our recognizer, and why the folder is about **6 MB**
#   although the model has 157 million parameters;
# - how `AutoModel.from_pretrained` and `transformers.pipeline` find our classes, which
#   transformers has never heard of;
# - what a model card states, and why every number in it must be one you measured;
# - what `publish` (and transformers' `push_to_hub`) upload, and what happens without internet;
# - how to give someone a page where they record a sentence and watch every stage's shape;
# - where a transcription's time goes, and which speed-ups cost accuracy and which do not.

# %%
# Keep library chatter (progress bars, deprecation notes) out of the notebook, so its
# output is readable and the same every run.
import transformers

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

# %matplotlib inline

# %%
import json
import tempfile
import time
import urllib.request
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from huggingface_hub import ModelCard
from IPython.display import Markdown, display
from transformers import AutoConfig, AutoModel, pipeline

from tiny_audio import (
    ENCODER_FRAMES_PER_SECOND,
    ASRModel,
    clip_names,
    encode,
    encoder_context,
    evaluate,
    librivox_items,
    load_clip,
    log_mel_spectrogram,
    n_encoder_frames,
    plot_stage_times,
    resample,
    training_record,
)
from tiny_audio.publish import (
    SpeechRecognitionPipeline,
    build_demo,
    describe,
    hub_unavailable,
    publish,
    serve,
    write_model_card,
)

REPO_ID = "your-name/tiny-audio-embedded"  # the Hub repository we would publish to; put your user name

# %% [markdown]
# ## 1. What a saved model is
#
# We start from the embedded recognizer with its shipped, trained projector (lesson 3) — on
# the CPU, so that every number below is the same on every machine — and save it the way
# every transformers model is saved.

# %%
model = ASRModel.from_pretrained("embedded", device="cpu")
folder = Path(tempfile.mkdtemp(prefix="lesson5-")) / "tiny-audio-embedded"
model.save_pretrained(folder)
for path in sorted(folder.iterdir()):
    print(f"{path.name:18} {path.stat().st_size:>10,} bytes")

# %% [markdown]
# Two files. `model.safetensors` holds the projector's weights and nothing else;
# `config.json` holds the blueprint. Here is the part of the config that says how to rebuild
# everything else:

# %%
config = json.loads((folder / "config.json").read_text())
for key in ("model_type", "architectures", "audio_model_id", "text_model_id", "encoder_dim", "llm_dim",
            "audio_downsample_rate", "prompt"):
    print(f"{key:22} {config[key]!r}")

# %% [markdown]
# The encoder and the LLM are not in the folder — only their **ids**. That is the point of
# freezing them: their weights are byte for byte the public ones, so storing them again
# would copy what anyone can already download from `openai/whisper-base` and
# `HuggingFaceTB/SmolLM2-135M-Instruct`. Loading reads the two ids, fetches (or finds in the
# cache) those models, builds the projector from the config and fills it from
# `model.safetensors`.
#
# How much does that save?

# %%
counts = model.parameter_counts()
saved_bytes = sum(p.stat().st_size for p in folder.iterdir())
parts = {"encoder": counts["encoder"], "projector": counts["projector"], "decoder (LLM)": counts["decoder"]}
for name, n in parts.items():
    print(f"{name:14} {n:>12,} parameters = {4 * n / 1e6:7.1f} MB in float32")
print(f"saved folder: {saved_bytes / 1e6:.1f} MB, {4 * sum(parts.values()) / saved_bytes:.0f}x smaller than the whole model")

# %%
fig, ax = plt.subplots(figsize=(7, 2.2), layout="constrained")
bars = ax.barh(list(parts), [4 * n / 1e6 for n in parts.values()], color=["tab:gray", "tab:orange", "tab:gray"])
ax.bar_label(bars, fmt="%.1f MB", padding=3)
ax.set(xscale="log", xlim=(1, 5000), xlabel="MB in float32 (log scale)",
       title="only the orange part is saved; the gray ones are referenced by id")
ax.invert_yaxis()
plt.show()

# %% [markdown]
# Two more properties of the saved folder:
#
# - **safetensors, not pickle.** Loading a `.safetensors` file reads numbers; it cannot run
#   code, unlike unpickling a checkpoint. That matters for files you download.
# - **No half-written files.** `save_pretrained` writes into a hidden temporary folder
#   inside the target and moves each finished file into place; an interrupted save leaves
#   the old files, never a truncated one.

# %% [markdown]
# ## 2. The round trip
#
# A saved model is only useful if loading it gives back the *same* model. We check both
# levels: every projector tensor, and the transcript of a real clip.

# %%
reloaded = ASRModel.from_pretrained(folder, device="cpu")
original_state, reloaded_state = model.audio_projector.state_dict(), reloaded.audio_projector.state_dict()
same = all(torch.equal(original_state[k], reloaded_state[k]) for k in original_state)
print(f"projector tensors identical: {same}  ({len(original_state)} tensors)")
print(f"projector loaded from: {Path(reloaded.projector_source).relative_to(folder.parent)}")

clip = load_clip("0880")
before, after = model.transcribe(clip.audio), reloaded.transcribe(clip.audio)
print(f"transcript before saving: {before!r}")
print(f"transcript after loading: {after!r}")
print(f"identical: {before == after}")
del reloaded  # each copy of the model holds ~630 MB

# %% [markdown]
# Whatever the projector writes — here the short sentence of lessons 2 and 3, three word
# errors in eight — the reloaded model writes *exactly* the same text: the round trip loses
# nothing.

# %% [markdown]
# ## 3. Loading through transformers' own entry points
#
# People who use transformers expect three things to work on a model folder or Hub id:
# `AutoConfig.from_pretrained`, `AutoModel.from_pretrained` and `pipeline(...)`. The Auto
# classes look the folder's `model_type` up in a table. `tiny_audio` is not in
# transformers' table, so `import tiny_audio` adds it (`tiny_audio.model.register_auto_classes`):
#
# ```python
# AutoConfig.register("tiny_audio", ASRConfig)
# AutoModel.register(ASRConfig, ASRModel)                  # and AutoModelForSpeechSeq2Seq
# ```

# %%
auto_config = AutoConfig.from_pretrained(folder)
auto_model = AutoModel.from_pretrained(folder, device="cpu")
print(f"AutoConfig -> {type(auto_config).__name__}, AutoModel -> {type(auto_model).__name__}")
print(f"projector trained: {auto_model.is_trained}")
del auto_model

# %% [markdown]
# The speech-recognition pipeline is a different matter. Its built-in class expects a
# Whisper- or wav2vec2-style model with a feature extractor in the folder; ours computes
# its own log-mel and brings its own tokenizer. `pipeline` accepts a `pipeline_class` for
# such models: `SpeechRecognitionPipeline` loads the model through the Auto classes, and
# turns a file, an array or `{"raw": samples, "sampling_rate": rate}` into `{"text": ...}`.

# %%
asr = pipeline("automatic-speech-recognition", model=str(folder), pipeline_class=SpeechRecognitionPipeline,
               device="cpu")
print(type(asr).__name__, "on", asr.device)
heard = asr(str(clip.path))
print(heard, "- the same as before saving:", heard["text"] == before)

# %% [markdown]
# Whoever loads the folder needs `pip install tiny-audio` and `import tiny_audio` first.
# Transformers has another way, `trust_remote_code=True`, which downloads Python code from
# the model's repository and runs it. We do not use it: code from a Hub repository runs with
# all your rights, and a package you installed on purpose is easier to trust.

# %% [markdown]
# ## 4. The model card
#
# On the Hub, a repository's `README.md` is its **model card**: what the model is, how to
# use it, how well it works and where it fails. Its header is YAML that the Hub reads — the
# base models, the task, and the evaluation results, which it shows in a table.
#
# The rule for the numbers: **measure them, don't type them.** We evaluate the model we
# saved on the five bundled LibriVox clips (the WER of lesson 4), right now:

# %%
librivox = evaluate(asr.model.transcribe, librivox_items(), batched=True)
record = training_record("embedded")
print(f"WER measured now on the LibriVox clips: {librivox.wer:.1%}")
print(f"WER in the projector's training record: {record['wer']['librivox']:.1%} (measured {record['wer_measured']})")

# %% [markdown]
# The two agree, so the card can say so with confidence. (The record was measured again
# when the preset's way of writing changed, with `.ci/ship_projector.py --remeasure`; it
# keeps the figures from the day the projector was shipped too, and the card shows both.) `write_model_card` reads the
# architecture and the file sizes from the saved folder itself, takes the measured results
# and the training record, and writes `README.md` (to a temporary name, then renamed):

# %%
card_path = write_model_card(folder, {"LibriVox (5 bundled clips)": librivox}, repo_id=REPO_ID, training=record)
display(Markdown(ModelCard.load(card_path).text))  # the card as the Hub shows it, below its YAML header

# %% [markdown]
# Read the "Limitations" section: about 48 errors per 100 spoken words, stated in plain
# words, and the "Training" section, which tells how the projector was trained, with every
# command. A card that hid its error rate would send people off to build on a model that is
# not ready for them. A better projector gets the same card with better numbers, measured
# the same way.

# %% [markdown]
# ## 5. Publishing to the Hugging Face Hub
#
# Every transformers model has `push_to_hub(repo_id)`; for ours it calls our
# `save_pretrained`, so it too uploads only the config and the projector. But it does not
# upload our card: it keeps the README the repository already has, or writes a generic one.
# `publish(folder, repo_id)` uploads the three files of the folder — config, projector,
# card — in one commit, creating the repository if needed.
#
# It needs the internet and a token with write access (`hf auth login`). It checks both
# first, in a few seconds at most, and otherwise says in one line why it did not publish:

# %%
# NBVAL_IGNORE_OUTPUT
# (the answer depends on this machine's internet and Hugging Face login)
print("can publish from here:", hub_unavailable() is None)
published = publish(folder, REPO_ID)
print(published)

# %% [markdown]
# Offline, nothing is lost: the folder is complete, so you can copy it to a machine with
# internet and publish it there — with `publish`, or with the Hub's command line,
# `hf upload your-name/tiny-audio-embedded FOLDER .`. Once it is up, anyone can run
#
# ```python
# import tiny_audio
# model = tiny_audio.ASRModel.from_pretrained("your-name/tiny-audio-embedded")
# ```
#
# which downloads your 6 MB, and the encoder and LLM from their own repositories.

# %% [markdown]
# ## 6. A demo in the browser
#
# A transcript in a notebook convinces fewer people than a page where they speak into the
# microphone themselves. `tiny_audio.publish.demo` builds one with [Gradio](https://gradio.app): an
# audio input (microphone or file, with the bundled clips as examples), the transcript, and
# the shape of every stage — the trace of lesson 2, live. The page's button calls one
# function, `describe(model, audio)`, which runs `model.trace(audio)` and returns the text
# and `trace.shapes()`. We can call it directly:

# %%
text, shapes = describe(asr.model, clip.path)
print(f"transcript: {text!r}")
for stage, shape in shapes.items():
    print(f"  {stage:10} {shape}")

# %% [markdown]
# In the browser, after a click on the 0880 example and on **Transcribe**, the page shows the
# same transcript and the same shapes (a screenshot taken by the package's browser test,
# `tests/test_demo.py`, in headless Chromium):
#
# ![The demo page: an audio player holding clip 0880, the five bundled clips as examples, the Transcribe button, the transcript and a table of every stage's shape](images/demo.png)
#
# Now the app itself. `serve` starts it in the background on `127.0.0.1` — this machine
# only — on any free port here. We ask the running server what it serves: the page, the
# page's layout (Gradio's `/config`) and its API endpoints (what `gradio_client` or a script
# calls), then stop it. The demo sends nothing to the internet: Gradio's telemetry is off,
# there is no public share link, and its theme uses fonts it ships.

# %%
app = build_demo(asr.model, title="tiny-audio: embedded")
url = serve(app, port=0)
with urllib.request.urlopen(url) as page:
    print(f"page: HTTP {page.status}")
with urllib.request.urlopen(url + "config") as layout:
    layout = json.load(layout)
    print(f"title {layout['title']!r}; components: {', '.join(c['type'] for c in layout['components'])}")
with urllib.request.urlopen(url + "gradio_api/info") as info:
    print("API endpoints:", list(json.load(info)["named_endpoints"]))
app.close(verbose=False)

# %% [markdown]
# To try it yourself, run this in a terminal and open the address it prints
# (`--port 0` picks a free port; Ctrl-C stops it):
#
# ```bash
# .venv/bin/tiny-audio demo                        # http://127.0.0.1:7860
# .venv/bin/tiny-audio demo --model runs/embedded  # a projector you trained
# ```
#
# Record a sentence, press *Transcribe*, and compare the shapes with your clip's length:
# 50 encoder frames and 10 audio tokens per second.

# %% [markdown]
# ## 7. Fast enough to serve
#
# Someone who speaks into the demo waits for the whole pipeline. Where does that time go?
# We time each stage on the five bundled clips with the embedded preset's setting, then
# with the encoder attending over all of Whisper's 30 s window, as Whisper was trained:
#
# - `encoder_padding_seconds = 5` (a config setting, read at every call; the embedded
#   preset's default): the encoder runs over the clip and 5 s of the silence after it, not
#   over all 1500 positions of the window. Each layer's cost falls with the length, and
#   attention's with its square.

# %%
def stage_seconds(recognizer: ASRModel, clips: list) -> dict[str, float]:
    """Wall seconds each stage spends on ``clips``, one clip after another."""
    spent = {"log-mel + encoder": 0.0, "projector": 0.0, "LLM writes": 0.0}
    for c in clips:
        start = time.perf_counter()
        _, frames = recognizer.listen(c.audio)
        middle = time.perf_counter()
        audio_tokens = recognizer.audio_projector(frames)
        end = time.perf_counter()
        recognizer.write(audio_tokens, c.duration)
        spent["log-mel + encoder"] += middle - start
        spent["projector"] += end - middle
        spent["LLM writes"] += time.perf_counter() - end
    return spent


bundled = [load_clip(name) for name in clip_names()]
audio_seconds = sum(c.duration for c in bundled)

# %%
# NBVAL_IGNORE_OUTPUT
# (wall-clock times: they differ between machines and between runs)
with model.decoding(beams=1):  # the LLM writes greedily here: see below
    stage_seconds(model, bundled[:1])  # a first call allocates; time the steady state
    times = {"clip + 5 s (the embedded default)": stage_seconds(model, bundled)}
    with model.decoding(encoder_padding_seconds=None):  # Whisper's whole 30 s window, as it was trained
        times["whole 30 s window"] = stage_seconds(model, bundled)
plot_stage_times(times, audio_seconds)
plt.show()

# %% [markdown]
# With the whole window the encoder reads 1500 positions for every clip, although these
# clips last 3–7 s; with the clip + 5 s it is several times cheaper. The projector costs
# nothing either way, and most of the time goes to the LLM — and this chart times it writing
# greedily, to keep the lesson short. As the preset writes, with 4 beams (lesson 4), the
# LLM's bar is 2-3 times longer (BENCHMARKS.md), for far fewer wrong words. The LLM is also what bfloat16 speeds up on CPUs that compute
# in bf16 natively (`tiny-audio doctor` says whether yours does; elsewhere bf16 is emulated
# and slower): 1.4-1.6x one clip at a time there, with the same WER for Whisper's decoder.
# The chart above times this run on this machine; the table below is the recorded
# benchmark. A second copy of the model, in bf16, would take more memory than this lesson
# may use; `bench/speedups.py` measures it.
#
# Speed bought by changing what the model computes must be paid for in accuracy, if at all.
# How far are the encoder's frames from the full window's? Cosine similarity 1 would mean
# the same direction.

# %%
samples = clip.audio  # clip 0880, 2.99 s
mel = log_mel_spectrogram(torch.from_numpy(samples), model.config.n_mels)[None]
n_frames = n_encoder_frames(len(samples))
full_window = encode(model.audio_encoder, mel, n_frames)
for padding in (5.0, 1.0):
    frames = encode(model.audio_encoder, mel, n_frames, padding_seconds=padding)
    similarity = torch.nn.functional.cosine_similarity(frames[0], full_window[0], dim=-1)
    print(f"clip + {padding:g} s: the encoder runs {encoder_context(n_frames, padding):4} of 1500 positions; "
          f"cosine similarity to the full window's frames: mean {similarity.mean():.3f}, "
          f"{int((similarity > 0.95).sum())} of {n_frames} frames above 0.95")

# %% [markdown]
# Close, not equal: with 5 s of padding one frame in 150 falls below 0.95, with 1 s seven do.
# `bench/speedups.py` measured what that does to a recognizer that works:
# Whisper's own decoder reading the clip + 5 s keeps its WER (1.4% -> 2.8% on the LibriVox
# clips: one word; 20.0% -> 19.4% on synthetic speech), while with only 1 s of padding it
# starts repeating itself. That is why the setting is 5 s. The shipped projector was
# trained on frames encoded this way (`FeatureCache.build` encodes as the config says), so
# for it the short window is not an approximation at all: it is what it learned to read.
#
# Two more speed-ups change nothing but the last digits of the arithmetic, so they are
# always on. `transcribe` takes a list and decodes windows of similar length together, 8 at
# a time: each step of the LLM then reads its weights once for eight clips (1.3–1.4x faster
# here). And the prompt's start — the system message and "Transcribe the speech:", 31
# tokens, the same for every clip — is run through the LLM once and its keys and values
# reused (a few percent). Are the transcripts the same as one clip at a time?

# %%
audio = [c.audio for c in bundled]
with model.decoding(beams=1):  # greedily, to keep the lesson short (the tests check beams too)
    together = model.transcribe(audio, batch_size=8)
    one_by_one = [model.transcribe(a, batch_size=1) for a in audio]
print(f"{sum(a == b for a, b in zip(together, one_by_one))} of {len(audio)} transcripts identical")

# %% [markdown]
# A batch multiplies the same numbers in a different order, so its results differ from one
# clip alone in the last digits of float32, and nowhere else: each clip's encoder attends
# over its own audio and padding only (the rows of a batch are masked from each other's
# padding), and the LLM's padding takes no position. Only where the LLM is almost exactly
# undecided between two tokens could a last digit tip the choice.

# %% [markdown]
# The measured figures (2-core CPU, `BENCHMARKS.md`, `bench/transcription_cpu.py`), on the
# same 5 LibriVox and 20 synthetic clips, recorded on 2026-12-07 on an Intel Xeon machine
# with the projector shipped that day, with the preset's decoding: 4 beams, each word checked
# against the slots' CTC scores (lesson 4), speech over 6 s cut at its pauses. The greedy row
# is `bench/research/greedy_row.py` on the same machine:
#
# | system | seconds of audio per second | WER LibriVox | WER synthetic |
# | --- | --- | --- | --- |
# | ours, fp32, one clip at a time (the defaults) | 2.7 | 33.8% | 32.9% |
# | ours, bf16, batches of 8 | 4.7 | 35.2% | 32.9% |
# | ours, bf16, batches of 8, greedy (`beams = 1`) | 10.8 | 42.3% | 37.4% |
# | Whisper base by faster-whisper, int8 | 5.0 | 1.4% | 20.0% |
#
# Speed means little without accuracy, so read the columns together. Greedy, ours is about
# twice as fast as faster-whisper; with the beams that take it from 42% to 34% on the real
# clips, it runs at nearly faster-whisper's speed in bf16 batches, and at about half of it
# one clip at a time in float32. (bf16 writes a few different words from float32 — here
# 35.2% against 33.8% on the real clips, one word in 71.) And faster-whisper
# misses almost nothing on the real clips: a recognizer that misses a third of the words is
# not yet a trade anyone would make, however fast. The tool that did not pay:
# `torch.compile`, which compiled for a minute to gain nothing measurable here.
#
# On the command line: `tiny-audio transcribe *.wav --dtype bfloat16` (the embedded preset already
# encodes with 5 s of padding).

# %% [markdown]
# ## Exercises
#
# ### Exercise 5.1
# If the saved folder also stored the frozen encoder and LLM, how many MB would it hold in
# float32, and in bfloat16 (2 bytes per parameter)? How many times the folder we saved?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
everything = counts["encoder"] + counts["projector"] + counts["decoder"]
for dtype_name, n_bytes in (("float32", 4), ("bfloat16", 2)):
    print(f"{dtype_name:9} {n_bytes * everything / 1e6:6.0f} MB = {n_bytes * everything / saved_bytes:.0f}x the saved folder")

# %% [markdown]
# ### Exercise 5.2
# The pipeline accepts `{"raw": samples, "sampling_rate": rate}`. Resample the clip to
# 8 kHz (`tiny_audio.sampling.resample`), pass it that way, and compare the transcript with
# the 16 kHz one.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
telephone = resample(clip.audio, 16_000, 8_000)
print(f"{len(telephone)} samples at 8 kHz -> {asr({'raw': telephone, 'sampling_rate': 8_000})['text']!r}")
print(f"16 kHz original          -> {heard['text']!r}")

# %% [markdown]
# The pipeline said on stderr that it resampled the array back to 16 kHz (the first line
# above), so the shapes are right — but the sound above 4 kHz is gone for good, as on a
# telephone line. The recognizer writes the same sentence as from the full-band clip: the
# sounds that carry most words lie below 4 kHz, and a fifth of its training clips went
# through a simulated telephone line. The cost is underneath, as lesson 2's exercise 2.8
# shows: one slot fewer points at a word that was said, so a word the LLM is unsure of can
# change (the projector shipped before this one wrote "innocent" for "old" here).

# %% [markdown]
# ### Exercise 5.3
# The Hub reads the card's YAML header. Load the card with `huggingface_hub.ModelCard.load`
# and print its base models and its evaluation results as the Hub sees them.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
card = ModelCard.load(card_path)
print("base models:", card.data.base_model)
for result in card.data.eval_results:
    print(f"{result.dataset_name}: {result.metric_type} = {result.metric_value}")

# %% [markdown]
# ### Exercise 5.4
# `publish` checks its arguments before it looks for the network. What does it say for the
# repository id `"my tiny audio"`? And for a folder without a model card?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
bare = folder.parent / "no-card"
model.save_pretrained(bare)
for args in ((folder, "my tiny audio"), (bare, REPO_ID)):
    try:
        publish(*args)
    except ValueError as err:
        print(f"ValueError: {str(err).replace(str(folder.parent), '<tmp>')}")

# %% [markdown]
# ### Exercise 5.5
# Attention over ``n`` positions costs about ``n²``. For a 3 s clip (150 frames with audio),
# how many positions does the encoder run over with the whole window, with 5 s of padding
# and with 1 s (`tiny_audio.encoder.encoder_context`)? What fraction of the full window's
# attention work is each? And for a 25 s clip?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
for seconds in (3, 25):
    frames_with_audio = seconds * ENCODER_FRAMES_PER_SECOND
    for padding in (None, 5.0, 1.0):
        positions = encoder_context(frames_with_audio, padding)
        label = "whole window" if padding is None else f"clip + {padding:g} s"
        print(f"{seconds:2} s clip, {label:12}: {positions:4} positions, {(positions / 1500) ** 2:6.1%} of the attention work")

# %% [markdown]
# ## Summary
#
# - `save_pretrained` writes `config.json` and the projector's weights: about 6 MB. The
#   frozen encoder and LLM are referenced by their ids, which is what freezing them buys.
# - After `import tiny_audio`, `AutoConfig`, `AutoModel` and
#   `pipeline(..., pipeline_class=SpeechRecognitionPipeline)` load the folder like any
#   transformers model.
# - The model card is generated from the saved folder and **measured** results — including
#   the bad ones.
# - `publish` uploads folder and card in one commit, and explains in one line when it cannot.
# - `tiny-audio demo` serves a page on your machine: record, transcribe, see every shape.
# - Speed: batching and the reused prompt prefix are free; a shorter encoder window and bf16
#   cost a little exactness for several times the speed. Measure both sides before choosing.
#
# That closes the loop of the course: build the pipeline (lessons 1–2), train the projector
# (3), measure it (4), and share it (5). The shipped projector is where that loop starts;
# a projector trained with the full recipe on a GPU is where it gets good.
