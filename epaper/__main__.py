"""`python -m epaper` runs the CLI."""

from .cli import main

main()
