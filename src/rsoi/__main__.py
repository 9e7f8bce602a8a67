"""`python -m rsoi` entry point."""

from rsoi.cli import entry

entry()
