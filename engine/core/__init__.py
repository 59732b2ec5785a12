"""The core: ``Value``, the walks over its graphs, and the backward pass.

* ``value``: ``Value``, ``affine``, and the lifting of plain numbers;
* ``eager``: each row's eager functions (backward step, local derivatives, contributions);
* ``graph``: walks without recursion (topological order, edges, leaves, non-finite values);
* ``backward``: ``BackwardPass``, the one owner of a pass's state and lock;
* ``define``: ``engine.define``, a user's row of the table;
* ``functions``: the unary operations as functions (``sigmoid(x)``, ``sin(x)``, ``max(a, b, c)``);
* ``gradcheck``: central finite differences.
"""
