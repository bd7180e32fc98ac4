"""``python -m collapsesim`` is the ``collapsesim`` command."""

from .cli import main

main()
