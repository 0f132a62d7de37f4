"""Whisper base's own decoder (greedy; `evaluation.reference.WhisperTranscriber`) on sets of
eval_pieces_sets.py: how well the encoder's frames can be read, beside what our LLM writes
from them. Usage: python whisper_sets.py real,real2,real-phone"""
import sys
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import ASRConfig, WhisperTranscriber, word_error_rate
from eval_pieces_sets import sets

whisper = WhisperTranscriber(ASRConfig.from_pretrained("embedded").audio_model_id, device="cpu")
for name in sys.argv[1].split(","):
    items = sets[name]()
    hyps = [whisper.transcribe(audio) for audio, _ in items]
    print(f"Whisper base {name:10}: WER {word_error_rate([t for _, t in items], hyps):6.1%} | {hyps[0]!r}")
