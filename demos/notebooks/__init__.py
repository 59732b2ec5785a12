"""Notebooks for a reader with the paper open: ``python -m demos.notebooks`` regenerates them.

Each notebook is written as cells in a plain-text source (``sources/<name>.py``, the "percent"
format: ``# %%`` starts a code cell, ``# %% [markdown]`` a text cell whose lines start with ``# ``).
``build.py`` turns a source into ``<name>.ipynb`` with nbformat, runs it top to bottom in a real
Jupyter kernel (nbclient with ipykernel) and saves it with its outputs, so that it reads well on a
code host without running. The cells import the demos' modules (``demos.higham``, ``demos.xor``,
``demos.backprop``, ``demos.landscape``): a notebook shows and explains, the demo computes.
"""
