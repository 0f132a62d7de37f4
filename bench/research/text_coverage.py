"""How much of the held-out speech's text the training transcripts cover: the share of LLM
tokens (what the CTC head can point at) and of words in our held-out short clips, LibriVox and
the synthetic test that occur in the training folders' transcripts. Usage:
  python text_coverage.py DATA [DATA ...]    (the folders of one training run; also prints the whole train split)"""
import re, sys
from transformers import AutoTokenizer
from tiny_audio import weights, read_manifest, librivox_items, synthetic_items
from tiny_audio.data.corpus import sentences

tokenizer = weights.load(AutoTokenizer.from_pretrained, "HuggingFaceTB/SmolLM2-135M-Instruct")
def token_ids(texts): return [i for t in texts for i in tokenizer(" " + t, add_special_tokens=False)["input_ids"]]
def words(texts): return [w for t in texts for w in re.sub(r"[^a-z' ]", " ", t.lower()).split()]
held_out = {"held-out short (40)": [r["text"] for r in read_manifest("/work/data/val")][:40],
            "LibriVox (5)": [t for _, _, t in librivox_items()],
            "synthetic test (60)": [t for _, _, t in synthetic_items("test")]}
train_sets = {"+".join(sys.argv[1:]): [r["text"] for d in sys.argv[1:] for r in read_manifest(d)],
              "the whole train split": sentences("train")}
for name, train in train_sets.items():
    seen_ids, seen_words = set(token_ids(train)), set(words(train))
    print(f"{name}: {len(set(train))} distinct sentences, {len(seen_ids)} token ids")
    for set_name, texts in held_out.items():
        ids, ws = token_ids(texts), words(texts)
        print(f"  {set_name:20} tokens covered {sum(i in seen_ids for i in ids) / len(ids):6.1%}"
              f"   words covered {sum(w in seen_words for w in ws) / len(ws):6.1%}")
