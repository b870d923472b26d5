from .add import Add
from .average import Average
from .base_merge import Merge
from .concatenate import Concatenate
from .dot import Dot
from .maximum import Maximum
from .minimum import Minimum
from .multiply import Multiply
from .subtract import Subtract

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract"]
