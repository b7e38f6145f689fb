"""``python -m lupusstats``: the command line (see :mod:`lupusstats.cli`)."""

import sys

from lupusstats.cli import main

if __name__ == "__main__":
    sys.exit(main())
