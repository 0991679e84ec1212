"""Developer scripts: `make run` (dev_up.py) and the escape-hatch import-linter contract."""
