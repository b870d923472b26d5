from .activation import Activation
from .dense import Dense
from .dropout import Dropout
from .identity import Identity
from .input_layer import Input, InputLayer
from .lambda_layer import Lambda

__all__ = ["Activation", "Dense", "Dropout", "Identity", "Input", "InputLayer", "Lambda"]
