"""Pure tensor functions shared by layers (TF SAME padding, masks, moments)."""
