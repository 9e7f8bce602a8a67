"""`python -m rsoi` entry point."""

from rsoi.cli import main

raise SystemExit(main())
