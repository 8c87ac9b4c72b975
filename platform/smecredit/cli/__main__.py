"""``python -m smecredit.cli``."""

from smecredit.cli import main

main()
