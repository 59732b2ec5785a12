"""Back propagation one node at a time: ``python -m demos.backprop --example neuron|higham|xor``.

Builds a small graph (``examples.py``), then writes its drawing, the table of the backward pass, one
drawing per step and an offline HTML page that steps through them. See ``__main__.py``.
"""
