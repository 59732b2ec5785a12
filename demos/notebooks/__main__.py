"""python -m demos.notebooks: regenerate and execute the notebooks (see build.py)."""

import sys

from .build import main

if __name__ == "__main__":
    sys.exit(main())
