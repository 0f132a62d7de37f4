"""SmolLM2's chat template writes a default system prompt ("You are a helpful AI assistant named
SmolLM, trained by Hugging Face": 16 of the 37 prompt tokens besides the audio slots) when the messages have none. This
drops it (copy_ceiling.py): a training step would run ~25% fewer tokens through the LLM, but the
frozen LLM then no longer copies what it is handed."""
DEFAULT_SYSTEM = ("{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
                  "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}")


def drop_default_system_prompt(tokenizer):
    if DEFAULT_SYSTEM not in tokenizer.chat_template:
        raise ValueError("this tokenizer's chat template has no SmolLM2 default system prompt to drop")
    tokenizer.chat_template = tokenizer.chat_template.replace(DEFAULT_SYSTEM, "")
