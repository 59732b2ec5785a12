"""Seeing back propagation: drawings, the node-by-node tables, the stepper page, Jupyter.

* ``steps``: ``backward_steps`` and ``backward_table`` (a ``BackwardPass`` one node at a time);
* ``draw``: Graphviz drawings of graphs (``draw_graph``) and of networks (``draw_network``);
* ``stepper``: the frames of a pass and the self-contained stepper page (``page``: its styles,
  script and HTML);
* ``jupyter``: the stepper inline in a notebook, and HTML tables;
* ``labels``: user text made safe for a drawing, and the checks of the options.
"""
