"""The operation table and its rule compiler.

* ``table``: the rows (forward rule and local derivatives of every primitive), and the registry of
  rows to which ``engine.define`` adds a user's;
* ``parse``: each row parsed once (``ast``), checked, and turned into templates in three dialects;
* ``chain``: the forward rule and the chain rule of a node as statements, for every writer of code;
* ``source``: the eager engine's pieces (methods, backward steps, step-table functions) as source.
"""
