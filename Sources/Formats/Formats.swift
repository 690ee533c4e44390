// Formats: safetensors, GGUF, HF model directories.
