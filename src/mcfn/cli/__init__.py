"""The ``mcfn`` command. Sub-command modules import heavy libraries only inside the commands that need them."""
