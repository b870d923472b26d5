"""A property-based fuzzer over the whole layer registry: bad input never gets past a layer.

Every draw starts from one of a spec's hand-picked samples and changes one thing: one constructor
argument (out of range, wrong type, wrong length, unknown string, None, ...) or the input (wrong rank,
dtype, zero-size axes, empty batch, NaN/inf, non-contiguous or channels_last strides). The draw runs
through our layer and through the Keras layer, each in a worker process (`pool.py`), and is classified
(`classify.py`): both accept -> outputs equal within the suite's tolerance; both reject -> ours with a
ValueError/TypeError naming the layer (and the argument); anything else is a deviation or a defect.

Draws come from hypothesis, derandomized (the same draws in every run); ``TKL_FUZZ_DRAWS=N`` sets the
draws per layer (`make fuzz` runs many).
"""
