"""Optuna replaces Keras Tuner for the Keras Tuner example's CIFAR-10 example: `python -m tuning --help`.

`tuning.hp.HyperParameters` is Keras Tuner's `hp` over an Optuna trial, so a Keras Tuner
`build(hp)` ports by changing its imports; `tuning.model.build_model` is the Keras Tuner example's.
"""

# The option vocabularies, here so that `python -m tuning --help` needs no torch import.
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "halving", "none")
# How to try the tool without CIFAR-10: from a checkout (`make tune` makes the environment first) or where
# the tuning dependencies are installed.
TRY_FAKE_DATA = 'make tune ARGS="--fake-data 500 --epochs 2"   (or: python -m tuning --fake-data 500 --epochs 2)'
