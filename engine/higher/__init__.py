"""Second derivatives: gradients as graphs (``grad(..., create_graph=True)``), Hessians, and
Hessian-vector products in both of PyTorch's senses (``hvp``: H v, ``vhp``: vᵀ H).

* ``values``: the functions of the rules on Values (the runtime that makes a partial a graph);
* ``gradients``: back propagation on Values, ``grad``, ``hessian``, ``hessian_of``, ``hvp``, ``vhp``.
"""

from .gradients import grad, hessian, hessian_of, hvp, vhp

__all__ = ["grad", "hessian", "hessian_of", "hvp", "vhp"]
