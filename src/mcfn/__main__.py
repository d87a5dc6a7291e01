"""Allow ``python -m mcfn``."""

from mcfn.cli.app import main

main()
