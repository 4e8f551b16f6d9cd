"""assetmap: community asset mapping and navigation for probation teams.

The core is plain typed functions over one validated asset table
(:mod:`assetmap.schema`), stored with full history (:mod:`assetmap.store`).
It never imports Streamlit; ``streamlit_app.py`` and ``app/`` are a thin shell.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
