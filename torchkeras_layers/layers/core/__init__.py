from .dense import Dense

__all__ = ["Dense"]
