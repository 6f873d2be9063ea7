"""`python -m hub` is the `relhub` command."""

from hub.cli import main

main()
