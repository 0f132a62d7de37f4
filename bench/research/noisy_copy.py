"""How the user prompt changes the frozen LLM's copying of *approximate* words: the true token
embeddings of each transcript in the audio slots, each pushed to cosine C from its token (random
direction, same norm), per prompt. Held-out short clips' texts (40) and LibriVox's. Usage:
  python noisy_copy.py COS[,COS...] [--systems]   (--systems: the first prompt under other system texts)"""
import sys, torch
from lib import *  # noqa: F403 (load_model, word_error_rate, json, os)
from tiny_audio.data.corpus import librivox_transcripts
PROMPTS = ["Transcribe the speech: <audio>", "Repeat exactly: <audio>",
           "Write down exactly what is said, word for word: <audio>",
           "Transcribe the speech word for word, without changing or leaving out any word: <audio>",
           "<audio>\nWrite the words above exactly."]
m = load_model(); tok = m.tokenizer; emb = m.text_decoder.get_input_embeddings()
val = [json.loads(l)["text"] for l in open("/work/data/val/manifest.jsonl")][:40]
sets = {"val40": val, "librivox": librivox_transcripts()}
SYSTEMS = [None, "You are a speech recognizer. Write exactly the words that were spoken, nothing else.",
           "You copy text exactly."]
template = tok.apply_chat_template
def with_system(system):  # None: SmolLM2's default system text
    tok.apply_chat_template = template if system is None else (
        lambda messages, **kw: template([{"role": "system", "content": system}, *messages], **kw))
variants = [(PROMPTS[0], s) for s in SYSTEMS] if "--systems" in sys.argv else [(p, None) for p in PROMPTS]
for cos in map(float, sys.argv[1].split(",")):
    for prompt, system in variants:
        m.config.prompt = prompt; m._prompt_prefixes = {}; with_system(system)
        row = {}
        for name, texts in sets.items():
            g = torch.Generator().manual_seed(0)
            audio = []
            for t in texts:
                e = emb(torch.tensor(tok(" " + t, add_special_tokens=False)["input_ids"])).detach()
                n = torch.randn(e.shape, generator=g); n = n - (n * e).sum(-1, keepdim=True) / (e * e).sum(-1, keepdim=True) * e
                n = n / n.norm(dim=-1, keepdim=True) * e.norm(dim=-1, keepdim=True)
                s = (1 - cos ** 2) ** 0.5
                audio.append(cos * e + s * n)  # cosine cos to e, same norm
            out = m._write(audio, [len(t.split()) / 2.5 for t in texts])
            row[name] = round(word_error_rate(texts, [gen.text for *_, gen in out]), 3)
        print(f"cos {cos:.2f} {prompt!r} system {system!r}: {row} | {out[0][2].text!r}", flush=True)
