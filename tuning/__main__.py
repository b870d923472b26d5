"""`python -m tuning`: see `tuning.cli`."""

from .cli import main

raise SystemExit(main())
