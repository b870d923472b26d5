"""Speed of torchkeras_layers against Keras (TensorFlow and torch backends) and plain PyTorch.

Run ``python -m benchmarks`` (``make bench``; ``--quick`` for a smoke run, ``--help`` for options).
Reports go to ``benchmarks/results/`` as Markdown, JSON and PNG.
"""
