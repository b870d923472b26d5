from .activation import Activation
from .dense import Dense
from .dropout import Dropout
from .input_layer import Input, InputLayer
from .lambda_layer import Lambda

__all__ = ["Activation", "Dense", "Dropout", "Input", "InputLayer", "Lambda"]
