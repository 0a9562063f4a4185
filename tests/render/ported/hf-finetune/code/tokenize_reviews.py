"""Tokenize the review texts (a processing job on the HuggingFace training image)."""
