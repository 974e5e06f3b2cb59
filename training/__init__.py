"""Training: the offline Persian embedder now, the Gaokerena LoRA stages later."""
