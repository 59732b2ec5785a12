"""The slides' "Deep Mysteries of Deep Learning" (issue 23), answered by experiment on the paper's network.

``python -m demos.mysteries`` asks five questions of Higham & Higham's 2-2-3-2 sigmoid network, one
module each:

* ``minima``         — many local minima? Plateau runs continued, end points classified by the exact Hessian;
* ``symmetries``     — how many different solutions? The 384-element symmetry group, canonical forms,
  clusters, and the Cost along straight lines between solutions before and after aligning them;
* ``generalisation`` — where the solutions disagree in the unit square, and test error on a synthetic
  problem against the number of training points and the width;
* ``regularisation`` — SGD (approaches 1 and 2) against full gradient descent: Cost, sharpness, test
  error, early stopping;
* ``width``          — wider hidden layers: who classifies all ten points, who is stuck, the curvature there.

Shared parts: ``problems`` (networks, the ten points, the synthetic problem) and ``runs`` (many SGD runs
as lanes, ``CompiledGraph.sgd_run_lanes``, on this process, local processes or Dask as ``demos.seeds``).
"""

QUESTIONS = {
    "minima": "1. Many local minima?",
    "symmetries": "2. How many different solutions?",
    "generalisation": "3. Generalises to unseen data?",
    "regularisation": "4. How does regularisation happen?",
    "width": "5. Why do high dimensions seem to help?",
}
