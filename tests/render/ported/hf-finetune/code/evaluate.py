"""Score the fine-tuned model on the test split (a processing job)."""
