"""Fine-tune a sequence classifier (script mode: the training toolkit runs this file)."""
