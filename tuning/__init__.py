"""Optuna replaces Keras Tuner for the seed's CIFAR-10 example: `python -m tuning --help`.

`tuning.hp.HyperParameters` is Keras Tuner's `hp` over an Optuna trial, so a Keras Tuner
`build(hp)` ports by changing its imports; `tuning.model.build_model` is the seed's.
"""

# The option vocabularies, here so that `python -m tuning --help` needs no torch import.
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "halving", "none")
