"""``python -m simulator``: the same options as ``manage.py provider_simulator``, without Django."""

from simulator.cli import main

main()
