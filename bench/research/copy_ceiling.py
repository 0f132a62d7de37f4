# The frozen LLM handed true token embeddings in the audio slots: how well does it copy, per prompt/system text?
from lib import *
from tiny_audio.data.corpus import librivox_transcripts, sentences
from no_system_prompt import drop_default_system_prompt
m = load_model()
tok = m.tokenizer
texts_lv = librivox_transcripts()
val = [json.loads(l)["text"] for l in open("/work/data/val/manifest.jsonl")][:40] if os.path.exists("/work/data/val/manifest.jsonl") else sentences("test")[100:140]
emb = m.text_decoder.get_input_embeddings()
default_tpl = tok.chat_template
for system in ("default", "none"):
    for prompt in ("Transcribe the speech: <audio>", "Repeat exactly: <audio>"):
        m.config.prompt = prompt
        tok.chat_template = default_tpl
        if system == "none":
            drop_default_system_prompt(tok)
        m._prompt_prefixes = {}
        res = {}
        for name, texts in (("librivox", texts_lv), ("val", val)):
            audio = [emb(torch.tensor(tok(" " + t, add_special_tokens=False)["input_ids"])) for t in texts]
            out = m._write(audio, [len(t.split()) / 2.5 for t in texts])
            hyps = [g.text for *_, g in out]
            res[name] = round(word_error_rate(texts, hyps), 3)
        print(system, prompt, res, hyps[:2], flush=True)
