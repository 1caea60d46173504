"""Model loading, generation, fine-tuning and distillation on transformers (+ peft)."""
