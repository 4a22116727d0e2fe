"""``python -m benchmarks``: the search-quality benchmark (``python -m benchmarks.quality``).

The reliability scenarios have their own entry point: ``python -m benchmarks.reliability``.
"""

import sys

from benchmarks.quality.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
