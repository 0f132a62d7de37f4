"""Whisper base's own decoder, greedy against beam search (4), on all 60 bundled synthetic
test clips: the figure lesson 4's section 5 quotes. Usage: python whisper_beams.py"""
import sys, time
import transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from tiny_audio import WhisperTranscriber, evaluate, synthetic_items

items = synthetic_items("test")
results = {}
for beams in (1, 4):
    t0 = time.time()
    results[beams] = evaluate(WhisperTranscriber(num_beams=beams).transcribe, items)
    print(f"Whisper base, {beams} beam(s): WER {results[beams].wer:.1%} on {len(items)} clips ({time.time() - t0:.0f} s)")
changed = [(g, b) for g, b in zip(results[1].clips, results[4].clips) if g.hypothesis != b.hypothesis]
print(f"{len(changed)} of {len(items)} transcripts differ:")
for g, b in changed:
    print(f"  greedy: {g.hypothesis}\n  beams : {b.hypothesis}")
