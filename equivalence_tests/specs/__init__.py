"""One module per layer family, each defining SPECS: list[LayerSpec]."""
