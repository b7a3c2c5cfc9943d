"""Understanding a text by meaning: the labelled corpus, the classifier trained on it, and
the evaluation that holds routing to the held-out part."""
