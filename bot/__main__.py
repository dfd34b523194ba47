"""`python -m bot` is `swarmbot`."""

from bot.cli import main

main()
