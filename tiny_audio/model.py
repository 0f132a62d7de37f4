"""``ASRModel``: the three parts in one object, and the pass that runs them in order.

    audio (16 kHz) -> log-mel -> audio_encoder (frozen Whisper) -> audio_projector (trained)
      -> text_decoder (frozen LLM) -> text

``ASRModel(config)`` builds the architecture only (wrap it in ``torch.device("meta")`` to
inspect the 8-billion-parameter seed preset without memory). ``ASRModel.from_pretrained``
loads real weights: the encoder and LLM from their own ids, the projector from the saved
folder (or freshly initialised when there is none yet).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from tqdm.auto import tqdm
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSpeechSeq2Seq,
    AutoTokenizer,
    PreTrainedModel,
    WhisperModel,
)
from transformers.utils import ModelOutput, cached_file

from . import presets, weights
from .config import ASRConfig
from .ctc import IGNORE_INDEX, CTCHead, SlotScores
from .decoder import (
    CACHE_ARG,
    Generation,
    PromptPrefix,
    add_audio_token,
    build_prompt,
    embedding_rms,
    generate,
    merge_audio,
    token_embeddings,
)
from .encoder import build_whisper, encode, encoder_only, freeze, n_encoder_frames
from .log_mel import N_SAMPLES, log_mel_spectrogram, n_mel_frames
from .projector import AudioProjector, stack_frames
from .sampling import SAMPLE_RATE, load_audio, pause_segments
from .trace import Trace
from .weights.device import choose_device, choose_dtype

PROJECTOR_FILE = "model.safetensors"  # save_pretrained's file name; holds the projector only
MAX_TOKENS_PER_SECOND = 6  # fast speech is ~4 LLM tokens/s; the margin stops runaway output
MIN_NEW_TOKENS = 8  # on top of that: room for the end-of-text token and punctuation of a short clip
PROJECTOR_SEED = 0  # a fresh projector is initialised the same way every run
DECODING_SETTINGS = ("beams", "guidance_scale", "ctc_fusion_weight", "ctc_fusion_blank", "max_segment_seconds",
                     "encoder_padding_seconds")  # ASRModel.decoding
# Keywords of from_pretrained that say where a hub id's files are (passed on to the download).
HUB_KWARGS = frozenset({"revision", "token", "cache_dir", "local_files_only", "force_download", "proxies"})
# Keywords that transformers' AutoModel and pipeline() add to every call; they concern remote
# code and adapters, which this model does not use, so they are accepted and ignored.
_AUTO_CLASS_KWARGS = frozenset({"_from_auto", "_from_pipeline", "trust_remote_code", "code_revision", "adapter_kwargs"})


@dataclass
class ASROutput(ModelOutput):
    """What ``ASRModel.forward`` returns.

    Attributes:
        loss: ``lm_loss + ctc_weight * ctc_loss`` (whichever were computed), or None.
        lm_loss: the LLM's cross-entropy on the transcript tokens (``labels``).
        ctc_loss: the CTC loss of the audio slots against ``ctc_labels`` (see ``tiny_audio.ctc``).
        logits: the LLM's logits from the first labelled position on ``(B, n_kept, vocab)``,
            or at every position when no labels are given; None when the LLM did not run.
        audio_embeddings: the projector's output ``(B, T_max/k, llm_dim)``.
    """

    loss: torch.Tensor | None = None
    lm_loss: torch.Tensor | None = None
    ctc_loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    audio_embeddings: torch.Tensor | None = None


class ASRModel(PreTrainedModel):
    """Whisper encoder -> ``AudioProjector`` -> causal LM, built from an ``ASRConfig``.

    Attributes:
        audio_encoder: the frozen ``WhisperModel``, its decoder removed (``encoder_only``).
        audio_projector: the ``AudioProjector``, the one trainable part.
        text_decoder: the frozen causal LM (``Qwen2ForCausalLM`` for the seed preset).
        tokenizer: the LLM's tokenizer, with ``<audio>`` registered; None until loaded.
        projector_source: where the projector's weights came from; None when untrained.
    """

    config_class = ASRConfig
    base_model_prefix = "asr"
    main_input_name = "input_features"

    def __init__(self, config: ASRConfig) -> None:
        super().__init__(config)
        if config.audio_config is None or config.text_config is None:
            raise ValueError(
                "this ASRConfig has no audio_config/text_config, so its architecture is unknown; "
                "start from a preset: ASRConfig.from_pretrained('embedded')"
            )
        self.audio_encoder = build_whisper(config.audio_config)
        self.audio_projector = AudioProjector(
            config.encoder_dim, config.llm_dim, config.audio_downsample_rate
        )
        self.text_decoder = freeze(AutoModelForCausalLM.from_config(config.text_config))
        self.tokenizer = None
        self.projector_source: str | None = None
        self._prompt_prefixes: dict[tuple, PromptPrefix] = {}  # see _prompt_prefix

    def _init_weights(self, module: torch.nn.Module) -> None:
        # Each part initialises itself; the frozen ones are overwritten by real weights.
        pass

    # ---- loading and saving -------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | Path = "embedded",
        *,
        config: ASRConfig | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype | str | None = None,
        fresh_projector: bool = False,
        **kwargs,
    ) -> ASRModel:
        """Build the model with real encoder and LLM weights, and the projector if saved.

        Also what ``AutoModel.from_pretrained(folder)`` and ``transformers.pipeline`` call
        (after ``import tiny_audio`` registers the model; see ``tiny_audio.publish``).

        Args:
            name_or_path: a preset (``"embedded"``, ``"seed"``), a folder written by
                ``save_pretrained``, or a hub id.
            config: the config to build, when already loaded (default: read from
                ``name_or_path``).
            device: default ``cuda`` when available, else ``cpu``.
            dtype: default (also for ``"auto"``) bf16 on GPU, float32 on CPU (the
                projector stays float32).
            fresh_projector: start from the seeded random projector even where trained
                weights exist (to train your own).
            kwargs: where to find a hub id's files (``revision``, ``token``, ``cache_dir``,
                ``local_files_only``, ``force_download``, ``proxies``), and the bookkeeping
                keywords the Auto classes and ``pipeline`` add, which do not apply here.
        """
        unknown = sorted(kwargs.keys() - HUB_KWARGS - _AUTO_CLASS_KWARGS)
        if unknown:
            raise TypeError(
                f"ASRModel.from_pretrained() got unexpected keyword arguments {unknown}; it takes config, "
                f"device, dtype, fresh_projector and {', '.join(sorted(HUB_KWARGS))}"
            )
        hub = {k: v for k, v in kwargs.items() if k in HUB_KWARGS}
        config = config if config is not None else ASRConfig.from_pretrained(name_or_path, **hub)
        device = choose_device(device)
        dtype = choose_dtype(device, None if dtype == "auto" else dtype)
        with torch.device("meta"):  # architecture only: the parts are replaced below
            model = cls(config)
        model.audio_encoder = encoder_only(
            weights.load(WhisperModel.from_pretrained, config.audio_model_id, dtype=dtype)
        ).to(device)
        model.text_decoder = freeze(
            weights.load(AutoModelForCausalLM.from_pretrained, config.text_model_id, dtype=dtype).to(device)
        )
        model.tokenizer = weights.load(AutoTokenizer.from_pretrained, config.text_model_id)
        add_audio_token(model.tokenizer)
        model._check_loaded_dims()
        model.audio_projector = model.new_projector()
        checkpoint = None if fresh_projector else _projector_checkpoint(name_or_path, **hub)
        if checkpoint is not None:
            model.load_projector(checkpoint)
        return model.eval()

    def new_projector(self) -> AudioProjector:
        """A projector as it is before any training: drawn from a fixed seed (the same every
        call, without touching the caller's random state), its output at the scale of the
        LLM's embeddings, on the LLM's device. Swap it in with ``model.audio_projector = ...``."""
        projector = AudioProjector.seeded(
            self.config.encoder_dim, self.config.llm_dim, self.config.audio_downsample_rate,
            output_rms=embedding_rms(self.text_decoder), seed=PROJECTOR_SEED,
        )
        return projector.to(self.text_decoder.device)

    def _check_loaded_dims(self) -> None:
        """The loaded checkpoints must have the widths the config promises."""
        got_enc = self.audio_encoder.config.d_model
        got_llm = self.text_decoder.get_input_embeddings().embedding_dim
        if (got_enc, got_llm) != (self.config.encoder_dim, self.config.llm_dim):
            raise ValueError(
                f"the config says encoder_dim={self.config.encoder_dim}, llm_dim={self.config.llm_dim} "
                f"but the loaded models have {got_enc} and {got_llm}; fix the config's dims"
            )

    def load_projector(self, path: str | Path) -> None:
        """Load projector weights from a ``save_pretrained`` safetensors file (strictly)."""
        path = Path(path)
        try:
            state = load_file(path)
        except (SafetensorError, OSError) as err:
            raise ValueError(
                f"{path} is not a readable projector checkpoint ({err}); delete it and save or train again"
            ) from None
        prefix = "audio_projector."
        state = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
        expected = self.audio_projector.state_dict()
        wrong = [k for k in expected if k not in state or state[k].shape != expected[k].shape]
        if wrong or len(state) != len(expected):
            raise ValueError(
                f"{path} does not hold a projector for this config (mismatched: {', '.join(wrong) or 'extra keys'}); "
                "load it with the config it was saved with"
            )
        self.audio_projector.load_state_dict(state)
        self.projector_source = str(path)

    def save_pretrained(self, save_directory: str | Path, **kwargs) -> None:
        """Write the config and the projector's weights only (the frozen parts are
        referenced by id), through a temporary folder so nothing is left half-written."""
        target = Path(save_directory)
        target.mkdir(parents=True, exist_ok=True)
        state = {f"audio_projector.{k}": v for k, v in self.audio_projector.state_dict().items()}
        with tempfile.TemporaryDirectory(dir=target, prefix=".saving-") as tmp:
            super().save_pretrained(tmp, state_dict=state, safe_serialization=True, **kwargs)
            for item in Path(tmp).iterdir():
                os.replace(item, target / item.name)

    # ---- running ---------------------------------------------------------------------------

    def forward(
        self,
        frames: torch.Tensor,
        n_audio_tokens: torch.Tensor,
        input_ids: torch.Tensor | None = None,
        audio_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        ctc_labels: torch.Tensor | None = None,
        ctc_head: CTCHead | None = None,
        ctc_weight: float = 1.0,
    ) -> ASROutput:
        """Projector, merge and LLM in one pass, with the training losses (transformers style).

        Args:
            frames: encoder frames, zero-padded ``(B, T_max, encoder_dim)``.
            n_audio_tokens: the projector outputs each example uses ``(B,)``.
            input_ids: the prompt (with its audio slots) and, in training, the transcript
                ``(B, L)``; None runs the projector only (the CTC warm start needs no LLM).
            audio_mask: True at the audio slots ``(B, L)``.
            attention_mask: 1 at real tokens, 0 at padding ``(B, L)``.
            labels: the ids to predict, aligned with ``input_ids`` as in transformers
                (position ``t - 1`` predicts ``labels[:, t]``), ``IGNORE_INDEX`` where no
                loss counts: prompt, audio slots, padding ``(B, L)``.
            ctc_labels: the transcript's LLM token ids for CTC ``(B, S)``, ``IGNORE_INDEX``-padded.
            ctc_head: scores the slots against the LLM's embeddings (needed with ``ctc_labels``).
            ctc_weight: the CTC loss's share of ``loss``.
        """
        audio_embeddings = self.audio_projector(frames)  # (B, T_max/k, D_llm)
        output = ASROutput(audio_embeddings=audio_embeddings)
        if ctc_labels is not None:
            if ctc_head is None:
                raise ValueError("ctc_labels need a ctc_head to score the slots; pass ctc_head=CTCHead(...)")
            output.ctc_loss = ctc_head.loss(audio_embeddings, n_audio_tokens, ctc_labels)
        if input_ids is not None:
            used = torch.arange(audio_embeddings.shape[1], device=frames.device) < n_audio_tokens[:, None]
            llm = self.text_decoder
            embeds = merge_audio(llm.get_input_embeddings(), input_ids, audio_mask, audio_embeddings[used])
            # The output layer is an (llm_dim x vocab) product per position: compute logits only
            # from the position that predicts the first transcript token on.
            first = 0 if labels is None else int((labels != IGNORE_INDEX).int().argmax(-1).min()) - 1
            # The prompt's text before the audio is the same in every example and does not depend
            # on the projector: read it from the cached keys and values instead of running it again.
            prefix = self._prompt_prefix(self.config.prompt) if self.tokenizer is not None else None
            n_prefix = 0 if prefix is None else len(prefix.embeds)
            if n_prefix and (first < n_prefix or not torch.equal(
                    input_ids[:, :n_prefix], prefix.input_ids.to(input_ids.device).expand(len(input_ids), -1))):
                prefix, n_prefix = None, 0  # another prompt: run every position
            positions = torch.arange(n_prefix, input_ids.shape[1], device=input_ids.device).expand(len(input_ids), -1)
            output.logits = llm(
                inputs_embeds=embeds[:, n_prefix:],
                attention_mask=attention_mask,
                position_ids=positions,
                logits_to_keep=input_ids.shape[1] - first,
                **({} if prefix is None else {CACHE_ARG: prefix.cache_for(len(input_ids))}),
            ).logits  # (B, L - first, vocab)
            if labels is not None:
                targets = labels[:, first + 1 :]  # the token each kept position predicts
                output.lm_loss = torch.nn.functional.cross_entropy(
                    output.logits[:, :-1].flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE_INDEX
                )
        losses = [output.lm_loss, None if output.ctc_loss is None else ctc_weight * output.ctc_loss]
        if any(loss is not None for loss in losses):
            output.loss = sum(loss for loss in losses if loss is not None)
        return output

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part: ``encoder`` (Whisper's encoder: its decoder is dropped
        on load), ``projector``, ``decoder`` (the LLM), and ``trainable``, the ones with
        ``requires_grad``. Works on the ``meta`` device too."""
        parts = {
            "encoder": self.audio_encoder,
            "projector": self.audio_projector,
            "decoder": self.text_decoder,
        }
        counts = {name: sum(p.numel() for p in part.parameters()) for name, part in parts.items()}
        counts["trainable"] = sum(p.numel() for part in parts.values() for p in part.parameters() if p.requires_grad)
        return counts

    @property
    def is_trained(self) -> bool:
        """False while the projector still holds its random initial weights."""
        return self.projector_source is not None

    @torch.no_grad()
    def listen(self, samples: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Stages 2-3: the log-mel spectrogram of at most 30 s of 16 kHz ``samples`` and the
        encoder frames that hold audio: ``(n_mels, 3000)`` and ``(1, n_frames, encoder_dim)``
        (float32, on the model's device)."""
        mels, frames = self.get_audio_features([samples])
        return mels[0], frames[0][None]

    @torch.no_grad()
    def get_audio_features(self, windows: list[np.ndarray]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Stages 2-3 for a batch: log-mel, then the frozen encoder, in one encoder call.

        Inference (``listen``, ``transcribe``) and the training feature cache
        (``FeatureCache.build``) both call this, so cached frames are what inference sees.

        Args:
            windows: 16 kHz samples, each at most 30 s (``transcribe`` cuts longer audio).

        Returns:
            the log-mels ``(B, n_mels, 3000)`` and each window's frames that hold audio
            ``(n_frames_i, encoder_dim)`` (float32, on the model's device).
        """
        longest = max(len(w) for w in windows)
        if longest > N_SAMPLES:
            raise ValueError(
                f"one 30 s window at a time, got {longest / SAMPLE_RATE:.1f} s; "
                "use transcribe() for longer audio, which goes window by window"
            )
        device = self.audio_projector.proj.weight.device
        mels = torch.stack(
            [log_mel_spectrogram(torch.as_tensor(w), self.config.n_mels, device=device) for w in windows]
        )  # (B, M, 3000)
        frames = encode(
            self.audio_encoder, mels, n_encoder_frames(longest), self.config.encoder_padding_seconds,
            row_frames=[n_encoder_frames(len(w)) for w in windows],
        ).float()  # (B, T_max, D_enc)
        return mels, [row[: n_encoder_frames(len(w))] for row, w in zip(frames, windows)]

    @torch.no_grad()
    def write(
        self, audio_embeddings: torch.Tensor, seconds: float, prompt: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, Generation]:
        """Stage 5: the LLM reads the projected audio inside the prompt and writes.

        Args:
            audio_embeddings: the projector's output, ``(1, n_audio_tokens, llm_dim)``.
            seconds: the audio's length, which bounds how many tokens may be written.
            prompt: the user message around ``<audio>``; default: the config's, the one
                the projector was trained with.

        Returns:
            the prompt's ids ``(n_prompt,)``, its audio mask ``(n_prompt,)``, and the generation.
        """
        return self._write([audio_embeddings[0]], [seconds], prompt)[0]

    def _write(
        self, audio_embeddings: list[torch.Tensor], seconds: list[float], prompt: str | None = None
    ) -> list[tuple[torch.Tensor, torch.Tensor, Generation]]:
        """``write`` for several clips in one decoding batch; ``audio_embeddings[i]`` is
        ``(n_audio_tokens_i, llm_dim)``."""
        prompt = self.config.prompt if prompt is None else prompt
        prompts = [self.prompt_with_audio(audio, prompt) for audio in audio_embeddings]
        generations = generate(
            self.text_decoder,
            self.tokenizer,
            [merged for *_, merged in prompts],
            [MIN_NEW_TOKENS + math.ceil(MAX_TOKENS_PER_SECOND * s) for s in seconds],
            prefix=self._prompt_prefix(prompt),
            num_beams=self.config.beams,
            guidance=self._guidance(prompt),
            ctc_fusion=self._ctc_fusion(audio_embeddings),
        )
        return [(input_ids, audio_mask, generation) for (input_ids, audio_mask, _), generation in zip(prompts, generations)]

    def _guidance(self, prompt: str) -> tuple[torch.Tensor, float] | None:
        """``generate``'s guidance for ``prompt``: its ids with no audio slots and the
        config's scale; None when the scale is 1 (off)."""
        if self.config.guidance_scale == 1:
            return None
        return build_prompt(self.tokenizer, 0, prompt)[0], float(self.config.guidance_scale)

    def _ctc_fusion(self, audio_embeddings: list[torch.Tensor]) -> tuple[SlotScores, float] | None:
        """``generate``'s CTC fusion for clips' projector outputs ``(n_audio_tokens_i, llm_dim)``:
        their slots' CTC scores and the config's weight; None when the weight is 0 (off)."""
        if self.config.ctc_fusion_weight == 0:
            return None
        table = token_embeddings(self.text_decoder).detach().cpu()
        slot_scores = SlotScores([a.detach().cpu() for a in audio_embeddings], table,
                                 self.config.ctc_fusion_scale, self.config.ctc_fusion_blank)
        return slot_scores, float(self.config.ctc_fusion_weight)

    def prompt_with_audio(
        self, audio_embeddings: torch.Tensor, prompt: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One clip's prompt with the projector's output in its audio slots, as the LLM reads it.

        Args:
            audio_embeddings: the projector's output for one clip ``(n_audio_tokens, llm_dim)``.
            prompt: the user message around ``<audio>``; default: the config's.

        Returns:
            the prompt's ids ``(n_prompt,)``, its audio mask ``(n_prompt,)``, and the LLM's
            input embeddings ``(n_prompt, llm_dim)`` (the same merge ``forward`` does).
        """
        prompt = self.config.prompt if prompt is None else prompt
        input_ids, audio_mask = build_prompt(self.tokenizer, len(audio_embeddings), prompt)
        device = audio_embeddings.device
        merged = merge_audio(
            self.text_decoder.get_input_embeddings(),
            input_ids[None].to(device),
            audio_mask[None].to(device),
            audio_embeddings[None],
        )[0]
        return input_ids, audio_mask, merged

    def _prompt_prefix(self, prompt: str) -> PromptPrefix | None:
        """The LLM's cache for ``prompt``'s text before ``<audio>``, built on first use and
        kept while the LLM stays the same (object, device, dtype); None when there is none."""
        input_ids, audio_mask = build_prompt(self.tokenizer, 1, prompt)
        n_prefix = int(audio_mask.int().argmax())
        if n_prefix == 0:
            return None
        llm = self.text_decoder
        key = (prompt, id(llm), llm.device, llm.dtype)
        if key not in self._prompt_prefixes:
            self._prompt_prefixes = {key: PromptPrefix.build(llm, input_ids[:n_prefix])}
        return self._prompt_prefixes[key]

    @torch.no_grad()
    def trace(
        self, audio: str | Path | np.ndarray | torch.Tensor, sample_rate: int | None = None
    ) -> Trace:
        """Run every stage on one clip of at most 30 s and keep each stage's output.

        Args:
            audio: a file path, or samples (``sample_rate`` defaults to 16 kHz).
            sample_rate: the rate of ``audio`` when it is an array.
        """
        self._check_loaded()
        samples = load_audio(audio, sample_rate)
        mel, frames = self.listen(samples)
        projected = self.audio_projector(frames)  # (1, T/k, D_llm)
        input_ids, audio_mask, generation = self.write(projected, len(samples) / SAMPLE_RATE)
        return Trace(
            audio=samples,
            sample_rate=SAMPLE_RATE,
            mel=mel.cpu(),
            n_mel_frames=n_mel_frames(len(samples)),
            encoder_frames=frames[0].cpu(),
            stacked=stack_frames(frames, self.config.audio_downsample_rate)[0].cpu(),
            projected=projected[0].cpu(),
            downsample_rate=self.config.audio_downsample_rate,
            prompt_ids=input_ids,
            audio_mask=audio_mask,
            prompt_tokens=self.tokenizer.convert_ids_to_tokens(input_ids.tolist()),
            generated_ids=generation.token_ids,
            generated_tokens=generation.tokens,
            token_probs=generation.token_probs,
            top_tokens=generation.top_tokens,
            text=generation.text,
        )

    @torch.no_grad()
    def transcribe(
        self,
        audio: str | Path | np.ndarray | torch.Tensor | list,
        sample_rate: int | None = None,
        *,
        batch_size: int = 8,
        progress: bool = False,
    ) -> str | list[str]:
        """The transcript of a clip of any length, or of each clip in a list.

        Every clip is cut into pieces: 30 s windows, or with ``config.max_segment_seconds``
        pieces at most that long, cut at pauses (``pause_segments``). Pieces of similar
        length are encoded and decoded ``batch_size`` at a time (the transcripts are the
        same as one at a time, up to float rounding), and each clip's are joined in order.

        Args:
            audio: a file path or samples, or a list of them.
            sample_rate: the rate of array inputs (default 16 kHz).
            batch_size: windows per batch (more is faster per clip, up to memory).
            progress: show a progress bar over the batches.

        Returns:
            one string, or a list of strings for a list.
        """
        self._check_loaded()
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        clips = [load_audio(a, sample_rate) for a in (audio if isinstance(audio, list) else [audio])]
        cuts = [self.pieces(clip) for clip in clips]
        windows = [  # (clip, piece, samples)
            (c, k, clips[c][start:end]) for c, clip_cuts in enumerate(cuts) for k, (start, end) in enumerate(clip_cuts)
        ]
        windows.sort(key=lambda w: -len(w[2]))  # similar lengths together: less padding per batch
        texts = [[""] * len(clip_cuts) for clip_cuts in cuts]  # [clip][piece]
        batches = [windows[i : i + batch_size] for i in range(0, len(windows), batch_size)]
        for batch in tqdm(batches, desc="transcribing", unit="batch", disable=not progress):
            _, frames = self.get_audio_features([w for *_, w in batch])
            projected = [self.audio_projector(f[None])[0] for f in frames]  # (T_i/k, D_llm) each
            written = self._write(projected, [len(w) / SAMPLE_RATE for *_, w in batch])
            for (c, k, _), (*_, generation) in zip(batch, written):
                texts[c][k] = generation.text
        joined = [" ".join(t for t in clip_texts if t) for clip_texts in texts]
        return joined if isinstance(audio, list) else joined[0]

    @contextlib.contextmanager
    def decoding(self, **settings) -> Iterator[ASRModel]:
        """Transcribe with other decoding settings for a while, e.g. greedily and by the LLM alone::

            with model.decoding(beams=1, ctc_fusion_weight=0.0):
                text = model.transcribe(clip)

        ``settings`` are config fields (``DECODING_SETTINGS``: ``beams``, ``guidance_scale``,
        ``ctc_fusion_weight``, ``ctc_fusion_blank``, ``max_segment_seconds``, ``encoder_padding_seconds``);
        they are checked like the config's own and put back on exit.
        """
        unknown = sorted(set(settings) - set(DECODING_SETTINGS))
        if unknown:
            raise ValueError(f"decoding() sets only {', '.join(DECODING_SETTINGS)}; got {', '.join(unknown)}")
        before = {field: getattr(self.config, field) for field in settings}
        try:
            for field, value in settings.items():
                setattr(self.config, field, value)
            self.config.validate()
            yield self
        finally:
            for field, value in before.items():
                setattr(self.config, field, value)

    def pieces(self, samples: np.ndarray) -> list[tuple[int, int]]:
        """Where ``transcribe`` cuts a clip of ``(n_samples,)``: ``(start, end)`` of each piece.

        Whisper reads at most 30 s at once; with ``config.max_segment_seconds`` the pieces
        are shorter and end at pauses (``pause_segments``).
        """
        if self.config.max_segment_seconds is None:
            return [(i, min(i + N_SAMPLES, len(samples))) for i in range(0, len(samples), N_SAMPLES)]
        return pause_segments(samples, self.config.max_segment_seconds)

    def _check_loaded(self) -> None:
        if self.tokenizer is None:
            raise ValueError("this model has no weights loaded; use ASRModel.from_pretrained(...)")


def _projector_checkpoint(name_or_path: str | Path, **hub) -> Path | None:
    """The projector weights that belong with a preset, a saved folder or a hub id, if any
    (a hub id's file is downloaded into the Hugging Face cache; ``hub``: ``HUB_KWARGS``)."""
    if str(name_or_path) in presets.PRESETS:
        return presets.projector_file(str(name_or_path))
    found = cached_file(name_or_path, PROJECTOR_FILE, _raise_exceptions_for_missing_entries=False, **hub)
    return None if found is None else Path(found)


def register_auto_classes() -> None:
    """Teach transformers' Auto classes our ``model_type`` ("tiny_audio"), so they build an
    ``ASRConfig`` / ``ASRModel`` from a saved folder. ``import tiny_audio`` calls this;
    calling it again changes nothing."""
    AutoConfig.register(ASRConfig.model_type, ASRConfig, exist_ok=True)
    for auto_class in (AutoModel, AutoModelForSpeechSeq2Seq):
        auto_class.register(ASRConfig, ASRModel, exist_ok=True)
