// Tokenizers: tokenizer.json, GGUF vocabularies, chat templates.
