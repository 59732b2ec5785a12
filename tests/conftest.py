import os
import sys

# Make the top-level packages importable when pytest runs from a checkout without installation.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
