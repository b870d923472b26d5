"""Loss functions (the regularization loss over a model lives in `torchkeras_layers.training`)."""
