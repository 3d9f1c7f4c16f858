"""Allow ``python -m xposture``."""

from xposture.cli import main

raise SystemExit(main())
