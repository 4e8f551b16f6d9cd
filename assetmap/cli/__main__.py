"""``python -m assetmap.cli ...``: the same as the ``assetmap`` command."""

import sys

from assetmap.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
