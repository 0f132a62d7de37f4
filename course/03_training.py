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
# # Lesson 3 — Training the projector
#
# **Goal:** teach the projector to speak the language model's language, and see the
# recognizer go from nonsense to transcripts.
#
# In lesson 1 you met two projectors: a random one, which leaves the LLM unable to read what
# the encoder heard, and the one shipped with the package. This lesson shows how a projector
# is trained, and trains one. By the end you will be able to say:
#
# - why we train only **1.5 million** of the recognizer's 157 million parameters (and only
#   23 million of the seed model's 8.3 billion), and what that saves;
# - what a training example looks like, and which of its positions the **loss** counts;
# - what a training step does, having watched the loss fall in a short run of 50 steps;
# - how the shipped projector was trained, how well it transcribes, and how to train your
#   own on one GPU or several.

# %%
# Keep library chatter (progress bars, deprecation notes) out of the notebook, so its
# output is readable and the same every run.
import transformers

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

# %matplotlib inline

# %%
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from tiny_audio import (
    IGNORE_INDEX,
    ASRConfig,
    ASRModel,
    FeatureCache,
    TrainConfig,
    ctc_head_for,
    load_clip,
    lr_factor,
    make_batch,
    plot_loss_mask,
    plot_training_history,
    projector_file,
    read_manifest,
    synthetic_folder,
    train,
    training_record,
    word_error_rate,
)

_ = torch.manual_seed(0)  # the same random draws every run (the untrained projector's loss)

# %% [markdown]
# ## 1. Why train only the projector?
#
# We load the embedded recognizer with a **fresh** projector — the seeded random one you
# met in lesson 1 — because we are about to train it ourselves. Next to it, the seed
# architecture (Whisper large-v3 + Qwen2-7B), built on PyTorch's `meta` device: the shapes
# exist, but no memory is spent on weights, so we can count its parameters on any laptop.

# %%
model = ASRModel.from_pretrained("embedded", device="cpu", fresh_projector=True)
with torch.device("meta"):
    seed_model = ASRModel(ASRConfig.from_pretrained("seed"))

for name, m in (("embedded", model), ("seed", seed_model)):
    counts = m.parameter_counts()
    total = counts["encoder"] + counts["projector"] + counts["decoder"]
    print(f"{name:9} encoder {counts['encoder']:>13,}   projector {counts['projector']:>11,}   "
          f"decoder {counts['decoder']:>14,}")
    print(f"{'':9} trainable {counts['trainable']:,} of {total:,} = {100 * counts['trainable'] / total:.2f}%")

# %% [markdown]
# In both models the projector is about one parameter in a hundred (or three hundred) —
# and it is the only part whose `requires_grad` is `True`. Three reasons make this the
# right split for a course, and for much real work:
#
# 1. **The frozen parts already know their jobs.** Whisper's encoder learned to listen from
#    680,000 hours of speech; the LLM learned English from trillions of tokens. We could
#    never repeat either on our data. What nobody has trained yet is the bridge between
#    them — so that is what we train.
# 2. **Memory.** Training keeps, for every trained parameter, its gradient and AdamW's two
#    moment estimates. Frozen parameters need none of that (exercise 3.1 puts numbers on it).
# 3. **Small data, small checkpoints.** 1.5 million parameters can be trained on a few
#    thousand sentences (the shipped one saw 24,000; section 5 shows why more helps), and
#    the result is a 6 MB file (lesson 5 publishes it).
#
# Freezing does not mean gradients stop at the LLM, though: to learn, the projector needs
# to know how the LLM's loss changes with each of its output vectors, so every step still
# runs the LLM forward *and backward*. What freezing saves is the gradient *for the LLM's
# own weights*.

# %% [markdown]
# ## 2. One training example, and what the loss counts
#
# The package ships a small training set made by `tiny-audio prepare-data` (the full
# recipe in section 5 makes 6,000 such sentences; the shipped projector used 24,000):
# sentences from the WordNet corpus, spoken by synthetic voices at varied speed and pitch,
# with background noise 10 to 40 dB below the speech.

# %%
train_folder = synthetic_folder("train")
records = read_manifest(train_folder)
print(f"{len(records)} utterances, {sum(r['seconds'] for r in records) / 60:.1f} minutes")
for r in records[:3]:
    print(f"  {r['seconds']:4.1f} s  {r['voice']:24} snr {r['snr_db']} dB  {r['text']!r}")

# %% [markdown]
# The encoder is frozen, so its output for a clip never changes. Running Whisper again at
# every step would waste most of the training time, so we run it **once per clip** and keep
# the frames in a `FeatureCache` (a memory-mapped file on disk). A training step then
# starts from the cached frames.

# %%
workdir = Path(tempfile.mkdtemp(prefix="lesson3-"))
items = [(train_folder / r["path"], r["text"]) for r in records]
features = FeatureCache.build(model, items, workdir / "features", progress=False)
frames, text = features[0]
print(f"{len(features)} clips cached; the first: frames {tuple(frames.shape)} {frames.dtype}, text {text!r}")

# %% [markdown]
# `make_batch` turns cached clips into the LLM's inputs: the same prompt as in lesson 2
# with one `<audio>` slot per projector output, then the transcript, then an end-of-turn
# token. Next to the token ids it builds **labels**: the transcript's token ids, and -100
# everywhere else. PyTorch's cross-entropy skips -100, so the loss counts only the
# transcript.

# %%
batch = make_batch([features[0]], model.tokenizer, model.config.prompt, model.config.audio_downsample_rate)
for name, value in vars(batch).items():
    print(f"{name:15} {tuple(value.shape)}  {value.dtype}")

# %%
plot_loss_mask(batch, model.tokenizer)
plt.show()

# %% [markdown]
# Why mask the rest? The prompt text is the same in every example — predicting it teaches
# nothing about audio. The audio slots hold vectors, not tokens: there is no "right token"
# to predict there. Only the transcript depends on what was said, so only the transcript
# is scored.
#
# One detail: a language model's output at position *t* is its guess for the token at
# *t + 1*. So the output at the newline that ends the prompt (after the audio and
# "assistant") is scored against the transcript's first word — the loss asks "having
# heard the audio, what comes first?" — and the last transcript token's output is scored
# against the end-of-turn token, which teaches the LLM when to stop.

# %%
labels = batch.labels[0]
first = int((labels != IGNORE_INDEX).int().argmax())  # the first scored position
for t in range(first - 3, first + 4):
    shown = model.tokenizer.decode(batch.input_ids[0, t])
    target = int(labels[t + 1])
    predicts = repr(model.tokenizer.decode(target)) if target != IGNORE_INDEX else "(nothing: not scored)"
    print(f"position {t:3}  input {shown!r:>12}  ->  output scored against {predicts}")

# %% [markdown]
# Calling the model on the batch runs the projector, writes its output into the audio
# slots, runs the frozen LLM and, given labels, returns the mean cross-entropy over the
# scored tokens (transformers style: `model(**inputs).loss`). With the random projector:

# %%
with torch.no_grad():
    fresh_loss = model(**batch.model_inputs("llm", ctc=False)).loss.item()
vocab = model.text_decoder.config.vocab_size
print(f"loss with the random projector: {fresh_loss:.2f} nats per token")
print(f"a uniform guess over {vocab:,} tokens would score ln({vocab}) = {torch.log(torch.tensor(vocab)).item():.2f}")

# %% [markdown]
# The LLM already does much better than a uniform guess: it knows English, so after "The"
# it expects a noun. What it cannot know yet is *which* sentence was spoken. That is the
# part of the loss the projector can remove.

# %% [markdown]
# ## 3. Two losses, and a short training run
#
# Asking the frozen LLM to read a random projector's vectors is a hard start: its loss says
# *that* the transcript was unlikely, not *which* vector should have meant which word. So
# training starts with an easier question the LLM already answers for text: the LLM's
# input embedding table holds one vector per token, the vectors it reads perfectly. We
# score every projector output against those vectors (a dot product with each token's
# embedding, plus one learned **blank** vector for slots between words) and train with
# **CTC** (connectionist temporal classification), which rewards any alignment of slots
# to the transcript's tokens in order. No LLM runs for this loss, so a step is cheap, and
# the projector learns to **point at the LLM's own words**.
#
# Training then runs in two stages:
#
# 1. `ctc`: the CTC loss alone (the *warm start*);
# 2. `llm`: the LLM's next-token loss on the transcript (section 2), plus a share of the
#    CTC loss that keeps the slots pointing at words while the LLM's loss shapes them.
#
# Both losses come from the same call:

# %%
head = ctc_head_for(model, features)  # scores slots against the embeddings of the tokens our transcripts use
with torch.no_grad():
    both = model(**batch.model_inputs("llm"), ctc_head=head, ctc_weight=0.3)
print(f"CTC head: {len(head.vocab_ids):,} token vectors + 1 blank, each {head.table.shape[1]}-dim")
print(f"LLM loss {both.lm_loss:.2f} + 0.3 x CTC loss {both.ctc_loss:.2f} = {both.loss:.2f}")

# %% [markdown]
# Reading the CTC scores needs no LLM: take each slot's best-scoring vector, merge repeats,
# drop blanks. This **readout** is a diagnostic (the recognizer's transcript is always
# written by the LLM), and it lets us watch the projector learn.
#
# `train` does what every training loop does, for the projector only: take a batch, compute
# the loss, back-propagate, clip the gradient, take an AdamW step, and follow the learning
# rate schedule (a short linear warmup, then cosine decay, in each stage). It also writes
# checkpoints and the loss history to `out_dir`, so a run that is interrupted resumes where
# it stopped. Every `eval_every` steps it measures the loss on **held-out** clips, which it
# never trains on, and calls our `callback`: here, the readout of a real recording of human
# speech (lesson 1's LibriVox clip) that the projector never hears in training.
#
# Here: 40 CTC steps of 8 clips from our 32, then 10 steps of the LLM's loss, on the CPU.

# %%
held_out_records = read_manifest(synthetic_folder("test"))[:8]  # held-out sentences, for the held-out loss
held_out = FeatureCache.build(model, [(synthetic_folder("test") / r["path"], r["text"]) for r in held_out_records],
                              workdir / "held-out", progress=False)
clip = load_clip("0880")
_, clip_frames = model.listen(clip.audio)
readouts = []


def read_the_clip(state, model, head):
    """Called during training: the CTC readout of the real clip, at this step."""
    with torch.no_grad():
        slots = model.audio_projector(clip_frames)
    ids = head.greedy_readout(slots, [slots.shape[1]])[0]
    readouts.append((state.step, model.tokenizer.decode(ids).strip()))


config = TrainConfig(ctc_steps=40, ctc_batch_size=8, ctc_lr=3e-3, steps=10, batch_size=4, lr=5e-4,
                     warmup_steps=5, eval_every=5, checkpoint_every=50,
                     mixed_precision="no")  # float32: the same numbers on every CPU
before = model.transcribe(clip.audio)  # keep the random projector's transcript
started = time.perf_counter()
history = train(model, features, config, workdir / "run", eval_features=held_out, callback=read_the_clip,
                progress=False)
seconds = time.perf_counter() - started

# %%
# NBVAL_IGNORE_OUTPUT
# (time depends on the machine)
print(f"{config.total_steps} steps in {seconds:.0f} s")

# %% [markdown]
# The readout of the clip the projector never heard, as training went on. Reference:
# *"he was not an ill disposed young man"*.

# %%
for step, text in readouts:
    print(f"step {step:3}  {text!r}")

# %% [markdown]
# From nothing, the recording's first words ("He", "was") appear within ten steps,
# learned from 32 synthetic sentences and read off a real human voice the projector never
# heard. The rest of the readout is words *of those 32 sentences*: there is nothing else
# the projector could point at yet. The losses tell the same story: look at the held-out
# loss (green) next to the training loss (blue). In stage 2 both include 0.3 times the
# CTC loss, which is low on the training clips and large on the held-out ones.

# %%
plot_training_history(history, smooth=5)
plt.show()

# %% [markdown]
# The training loss falls fast and keeps falling: with 32 sentences, the projector soon
# knows them by heart. The held-out loss falls for the first ten steps, then climbs back
# and levels off far above the training loss: what the projector learns *beyond* that
# point is the training sentences, not how to read speech. This is
# why a training loss alone never tells whether a recognizer got better; the held-out
# loss, and in the end the word error rate on speech never trained on (lesson 4), do.
# A real run uses thousands of distinct sentences for exactly this reason (section 5).

# %%
ctc_losses = [h["loss"] for h in history if h["stage"] == "ctc"]
print(f"CTC loss: {ctc_losses[0]:.1f} at the first step, {ctc_losses[-1]:.1f} at the last")
print(f"files written: {sorted(p.name for p in (workdir / 'run').iterdir())}")

# %% [markdown]
# `train` ends with one more number, a decoding setting saved in the run's `config.json`:
# the **CTC fusion blank**. The embedded preset lets the slots vote on each word while the
# LLM writes (CTC fusion, lesson 4): each slot's scores against the LLM's tokens, and one
# fixed score for "no new word here", the blank, become probabilities. How high a
# projector's slots score depends on the projector, so `train` does not copy the shipped
# projector's blank score: it measures one, the score at which 60% of the new projector's
# slots on the held-out clips give the blank more probability than all tokens together, as
# the hand-tuned 2.2 did for 60% of the slots of the projector shipped before this one (the
# shipped one carries its own, measured this way). Every projector then hears about as many
# words in its slots as the shipped one.

# %%
shipped_blank = ASRConfig.from_pretrained("embedded").ctc_fusion_blank
print(f"CTC fusion blank: {ASRConfig.from_pretrained(workdir / 'run').ctc_fusion_blank:.2f} for the projector we just "
      f"trained, {shipped_blank:.2f} for the shipped one")  # two decimals: the third moves between CPUs

# %% [markdown]
# ## 4. Before and after
#
# The embedded preset ships a trained projector (`tiny_audio/presets/embedded.safetensors`)
# together with a record of how it was trained. `from_pretrained("embedded")` loads it by
# default; here we load it into our model in place of the projector we just trained (a
# second model would need another gigabyte of memory).

# %%
after_short_run = model.transcribe(clip.audio)  # with the projector we trained above, and its blank
model.audio_projector = model.new_projector()
model.load_projector(projector_file("embedded"))
model.config.ctc_fusion_blank = shipped_blank  # the decoding setting that goes with the shipped projector
record = training_record("embedded")
print(f"projector weights: {Path(model.projector_source).name}, {record['steps']:,} steps, "
      f"{record['train_minutes']:.0f} min on a 2-core CPU")
print(f"data: {record['data']}")
for name, wer in record["wer"].items():
    print(f"WER on {name}: {wer:.1%}  (Whisper's own decoder: {record['whisper_own_decoder_wer'][name]:.1%})")
print(f"measured {record['wer_measured']}")

# %% [markdown]
# The same clip, three projectors: the random one, the one we just trained for 50 steps,
# and the shipped one.

# %%
after_shipped = model.transcribe(clip.audio)
print(f"reference:          {clip.text}")
for name, hypothesis in (("random projector", before), ("after 50 steps", after_short_run), ("shipped", after_shipped)):
    shown = " ".join(hypothesis.split())
    print(f"{name:19} {shown[:110]!r}\n{'':19} WER {word_error_rate([clip.text], [hypothesis]):.0%}")

# %% [markdown]
# Nothing else changed between these three lines: the same encoder heard the same audio,
# the same LLM read the same prompt. Only 1.5 million numbers in the projector differ, and
# the blank score that goes with them.
#
# With the random projector the LLM answers like the chat assistant it was built to be
# ("I'm here to help!"): vectors that mean nothing leave it nothing else to go on. After 50
# steps of training it writes only "A.": a few seconds of CTC move the readout (above),
# not yet what the LLM writes. The shipped projector writes "He was not an old man.": "he was not an" and
# "man" are right; for "ill-disposed", which it could not read, it put a word that fits the
# sentence, and "young" is gone. Its record shows where it stands overall, measured as the
# preset now writes (4 beams, the LLM's likeliest tokens ranked with the slots' CTC scores,
# speech over 6 s cut at a pause): 34% WER on the five LibriVox clips and 30% on the 60
# held-out synthetic clips (Whisper's own decoder: 1.4% and 15.7%).
# **It listens, but it is not yet a good recognizer**: trained on a CPU on synthetic voices
# only, it gets short, common sentences and loses long or rare ones (lesson 4 takes its
# errors apart). Exercise 3.4 puts a number on what it learned: on a sentence it never
# trained on, its loss is about a quarter of the random projector's.

# %% [markdown]
# ## 5. The full recipe
#
# `tiny-audio train` runs both stages of section 3 by default (they need the `[data]` extra
# for the synthetic voices: `pip install -e .[data]`):
#
# ```bash
# tiny-audio prepare-data data/train6k --n 6000 --split train --seed 7    # ~10 min on a 2-core CPU
# tiny-audio prepare-data data/val --n 150 --split test --seed 99         # held-out sentences, for the held-out loss
# tiny-audio train data/train6k --eval-data data/val --out runs/two-stage --from-scratch  # 1000 CTC + 1600 LLM steps
# tiny-audio eval --model runs/two-stage                                  # WER on the real LibriVox clips
# ```
#
# The first run encodes and caches the clips (about 12 minutes for 6000 on a 2-core CPU);
# stop it at any time, run the same command again and it resumes from the last
# checkpoint, across stages. `--from-scratch` starts from a random projector; without it,
# training continues from the model's own trained projector (the embedded preset's shipped
# one). The whole recipe, data included, takes about an hour on a 2-core CPU — data 9,
# cache 11.5, CTC 6, the LLM stage 38 minutes (BENCHMARKS.md) — and from random weights it
# gets 65% WER on the LibriVox clips, 63% on short held-out clips and 61% on the synthetic
# test (written with the 4 beams alone, before the preset also cut long speech and used
# the slots' CTC scores; as the preset writes now, with the blank `train` set for it, one
# such run gets 49%, 45% and 42%): the right kind of sentence with some of the words,
# still far from a finished recognizer. On a GPU the same command trains in
# bf16 automatically (`--device cuda` is the default when one is visible).
#
# The shipped projector is the same recipe on four times the data, with both stages twice
# as long (its record lists the commands): four `prepare-data` folders of 6,000 sentences
# (seeds 21, 11, 13 and 17), `tiny-audio train data data2 data3 data4 ... --ctc-steps 2000
# --steps 3200`, 94 minutes of training on a 2-core CPU after about 30 minutes of data
# preparation and 45 of feature caches. It got 52%, 56% and 53% on the same three sets
# with the 4 beams alone, and 34%, 37% and 32% with the preset's decoding (speech over 6 s cut
# at its pauses, the slots' CTC scores in the decoding; lesson 4). Then it was fine-tuned
# for 600 more LLM steps (lr 5e-4, 9 minutes) on its first folder plus 1,200 sentences read
# by voices it had never heard, Kokoro's (`prepare-data --engines kokoro`): new speakers
# cost it ten points, and this took a third of that back on a voice neither run heard —
# 34%, 36% and 30% now (README, "Kokoro voices and unseen speakers").
# Its loss curves, every stage, straight from its record — training loss in blue, the
# loss on 100 held-out sentences it never trained on in green:

# %%
plot_training_history(record["history"], smooth=4)
plt.show()

# %% [markdown]
# The CTC loss falls steeply in the first 200 steps and then slowly: the warm start is
# cheap and it works (its readout alone already finds about three words in five on
# held-out clips). The LLM stage's loss (the next-token loss plus 0.3 times the CTC loss)
# starts near 5 and is still falling at the end, on held-out sentences too (4.28 at the
# first check, 2.56 after 3200 steps, still about 0.01 less per 100 steps): longer
# training would still help a little. The third panel is the fine-tuning with new voices,
# 600 more steps: its loss sits about 0.9 lower because it is the next-token loss alone (no
# CTC term) and most of its clips had been heard before. No held-out check was made in it,
# so its curve says nothing about speech (the paragraph below says why); the held-out WERs
# above do.
#
# The held-out loss sits *below* the training loss all the way: training clips are made
# harder on purpose — dropped features, a shifted stacking phase, two or three clips
# joined — and held-out ones are not. Only the green curve says what the projector learned
# about speech, which is why `tiny-audio train --eval-data` measures it. An earlier shipped
# projector, trained on 6,000 clips instead of 24,000, shows why: at its LLM step 1500
# (1500 × 4 = its 6,000 clips, one pass) its training loss dropped by 0.4 at once while its
# held-out loss did not move. From there on every batch was one it had seen, and a second
# look is easier than the first; nothing was learned about speech. This one's LLM stage
# draws 12,800 examples from its 24,000 clips, about half a pass (a quarter of its batches
# also append one or two random clips to each example), so no such drop appears. Making a
# frozen 135M-parameter LLM read a linear projector's vectors is the slow part, and on a
# CPU it is where the work is today.
#
# **Several GPUs.** The training loop is written with Hugging Face `accelerate`, so the same
# command runs data-parallel (DDP) on several GPUs — each process takes its share of every
# batch, and their gradients are averaged before each step:
#
# ```bash
# accelerate launch --multi_gpu --num_processes 4 -m tiny_audio.cli train data/train6k \
#     --out runs/ddp --batch-size 32 --ctc-batch-size 128
# ```
#
# `--batch-size` is the global batch: with 4 processes, each takes 8 clips per step.

# %% [markdown]
# ## Exercises
#
# ### Exercise 3.1
# AdamW keeps, for each trained parameter, the float32 weight, its gradient and two moment
# estimates: 16 bytes. How many GB would that be for fine-tuning the *whole* seed model,
# and how many for its projector only?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
counts = seed_model.parameter_counts()
everything = counts["encoder"] + counts["projector"] + counts["decoder"]
print(f"whole seed model: {16 * everything / 1e9:.0f} GB;  projector only: {16 * counts['projector'] / 1e9:.2f} GB")

# %% [markdown]
# ### Exercise 3.2
# Make a batch of the first four cached clips. How many positions does the loss count in
# each example, and how many positions are padding?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
four = make_batch([features[i] for i in range(4)], model.tokenizer, model.config.prompt,
                  model.config.audio_downsample_rate)
print("scored per example: ", (four.labels != IGNORE_INDEX).sum(1).tolist())
print("padding per example:", (four.attention_mask == 0).sum(1).tolist())

# %% [markdown]
# ### Exercise 3.3
# Draw the learning rate of a 3000-step stage (warmup 100, peak 2e-3, decaying to 10%) with
# `lr_factor(step, n_steps, warmup_steps, min_lr_ratio)`. What is the rate at step 1500?

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
rates = [2e-3 * lr_factor(step, 3000, 100, 0.1) for step in range(3000)]
fig, ax = plt.subplots(figsize=(6, 2.5), layout="constrained")
ax.plot(rates)
ax.set(xlabel="step", ylabel="learning rate", title="warmup, then cosine decay to 10%")
print(f"step 1500: {rates[1500]:.2e}")

# %% [markdown]
# ### Exercise 3.4
# Compute the LLM's loss of the *shipped* projector on a held-out sentence (one it never
# trained on: the first clip of `held_out`), and compare it with the random projector's.

# %%
# Your code here

# %% tags=["solution"] jupyter={"source_hidden": true}
# Solution
test_batch = make_batch([held_out[0]], model.tokenizer, model.config.prompt, model.config.audio_downsample_rate)
with torch.no_grad():
    shipped_loss = model(**test_batch.model_inputs("llm", ctc=False)).loss.item()
    model.audio_projector = model.new_projector()  # the random one again, for comparison
    random_loss = model(**test_batch.model_inputs("llm", ctc=False)).loss.item()
print(f"on {held_out[0][1]!r}:")
print(f"random projector {random_loss:.2f}, shipped projector {shipped_loss:.2f} nats per token")

# %% [markdown]
# ## Summary
#
# - Only the projector trains: about 1% of the parameters, and none of the optimizer
#   memory of the frozen parts.
# - A training example is prompt + audio slots + transcript; the labels are -100 everywhere
#   except the transcript, so the loss measures exactly "what was said?".
# - Training starts with CTC against the LLM's own embedding table: the projector learns to
#   point at the LLM's words, cheaply and without running the LLM; then the LLM's loss
#   (plus a share of CTC) teaches it to write vectors the LLM reads.
# - Judge training by the held-out loss and by speech never trained on, not by the
#   training loss: with few sentences, the projector memorizes them.
# - The encoder's output is cached once per clip; an LLM-stage step runs the projector and
#   the LLM forward and backward.
# - The same `tiny-audio train` command runs on a CPU, a GPU, or under `accelerate launch`
#   on several GPUs, and resumes from its checkpoints.
#
# Next: **Lesson 4 — evaluation and debugging**: how good is "good", measured properly.
