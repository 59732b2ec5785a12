"""XOR solved by hand: Goodfellow, Bengio & Courville, *Deep Learning*, §6.1, equations 6.1–6.6.

The model of equation 6.3 is a 2-2-1 network with one hidden layer of rectified linear units:

    f(x; W, c, w, b) = wᵀ max{0, Wᵀx + c} + b,        h = max{0, Wᵀx + c}  (the hidden representation)

and the cost is the mean squared error over the four points of X (equation 6.1):

    J(θ) = (1/4) Σ_x (f*(x) − f(x; θ))².

Parameters are kept as one vector θ = (W11, W12, W21, W22, c1, c2, w1, w2, b) in the book's names:
W[i][j] is the weight from input x_i to hidden unit h_j (h = max{0, Wᵀx + c}, so unit j uses
*column* j of W). Everything here is built from engine Values, so the gradient of J at the book's
solution is one ``backward()``.
"""

import numpy as np

from engine import Value, affine, relu

X = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
TARGETS = (0.0, 1.0, 1.0, 0.0)

# Equations 6.4–6.6 and b = 0.
BOOK_W = ((1.0, 1.0), (1.0, 1.0))
BOOK_C = (0.0, -1.0)
BOOK_w = (1.0, -2.0)
BOOK_B = 0.0

PARAMETER_NAMES = ("W11", "W12", "W21", "W22", "c1", "c2", "w1", "w2", "b")


def pack(W, c, w, b):
    """The nine numbers of (W, c, w, b) as one vector θ, in the order of ``PARAMETER_NAMES``."""
    W = np.asarray(W, dtype=float)
    c, w = np.asarray(c, dtype=float), np.asarray(w, dtype=float)
    if W.shape != (2, 2) or c.shape != (2,) or w.shape != (2,) or np.ndim(b) != 0:
        raise ValueError(f"expected W 2×2, c and w of length 2 and a scalar b; got W {W.shape}, "
                         f"c {c.shape}, w {w.shape}, b of {np.ndim(b)} dimensions")
    return np.concatenate([W.ravel(), c, w, [float(b)]])


def unpack(theta):
    """θ → (W 2×2, c, w, b) as NumPy arrays and a float."""
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (9,):
        raise ValueError(f"θ of the XOR network has 9 numbers, got shape {theta.shape}")
    return theta[:4].reshape(2, 2), theta[4:6], theta[6:8], float(theta[8])


BOOK_THETA = pack(BOOK_W, BOOK_C, BOOK_w, BOOK_B)


def parameters(theta=BOOK_THETA):
    """θ as nine labelled leaf Values (the book's names), in the order of ``PARAMETER_NAMES``."""
    return [Value(float(t), label=name) for t, name in zip(np.asarray(theta, dtype=float), PARAMETER_NAMES)]


def forward(params, x):
    """One input x through equation 6.3, as Values: (z = Wᵀx + c, h = max{0, z}, f).

    ``params`` are nine Values (or numbers) in the order of ``PARAMETER_NAMES``."""
    W11, W12, W21, W22, c1, c2, w1, w2, b = params
    z = [affine([W11, W21], x, c1), affine([W12, W22], x, c2)]  # column j of W feeds unit j
    for j, zj in enumerate(z, start=1):
        zj.label = f"z{j}"
    h = [relu(zj) for zj in z]
    for j, hj in enumerate(h, start=1):
        hj.label = f"h{j}"
    f = affine([w1, w2], h, b)
    f.label = "f"
    return z, h, f


def cost(params, xs=X, targets=TARGETS):
    """J(θ) = (1/N) Σ (f*(x) − f(x; θ))² over the points, as one Value (equation 6.1)."""
    total = 0.0
    for x, y in zip(xs, targets):
        total = total + (y - forward(params, x)[2]) ** 2
    J = total / len(xs)
    J.label = "J"
    return J


def cost_numpy(theta, xs=X, targets=TARGETS):
    """The same J(θ) computed with NumPy (an independent implementation, used for surfaces)."""
    W, c, w, b = unpack(theta)
    h = np.maximum(0.0, np.asarray(xs, dtype=float) @ W + c)
    return float(np.mean((np.asarray(targets) - (h @ w + b)) ** 2))


def solve_exactly(theta=BOOK_THETA):
    """The book's solution built from Values: pre-activations, hidden representation, outputs, cost
    and the gradient of the cost (one ``backward()``), as a dict of plain NumPy arrays and floats.

    The gradient is exactly zero, whatever value one gives the derivative of max{0, z} at z = 0
    (the engine takes relu'(0) = 0, as PyTorch does; here z = 0 occurs three times): J's gradient is
    (2/N) Σ_x (f(x) − f*(x)) ∇f(x), and every residual f(x) − f*(x) is exactly 0, so every term is 0.
    """
    params = parameters(theta)
    rows = [forward(params, x) for x in X]
    J = cost(params)
    J.backward()
    return {
        "z": np.array([[v.data for v in z] for z, _, _ in rows]),
        "h": np.array([[v.data for v in h] for _, h, _ in rows]),
        "f": np.array([f.data for _, _, f in rows]),
        "cost": J.data,
        "gradient": np.array([p.grad for p in params]),
    }


def best_linear_model(xs=X, targets=TARGETS):
    """The least-squares linear model f(x) = wᵀx + b on the points (the book's first attempt, §6.1).

    Returns (w, b, predictions, MSE). For XOR the normal equations give w = 0 and b = 1/2: the
    model predicts 0.5 everywhere and its MSE is 0.25."""
    A = np.hstack([np.asarray(xs, dtype=float), np.ones((len(xs), 1))])
    solution, *_ = np.linalg.lstsq(A, np.asarray(targets, dtype=float), rcond=None)
    predictions = A @ solution
    return solution[:2], float(solution[2]), predictions, float(np.mean((np.asarray(targets) - predictions) ** 2))


def cost_slice(theta0, d1, d2, alphas, betas):
    """J(θ0 + α d1 + β d2) on the grid of ``alphas`` × ``betas`` (rows: β, columns: α), with NumPy.

    A 2-D slice of the 9-D cost surface through θ0; with θ0 the book's solution the slice has its
    minimum 0 at α = β = 0."""
    theta0, d1, d2 = (np.asarray(v, dtype=float) for v in (theta0, d1, d2))
    for name, v in (("θ0", theta0), ("d1", d1), ("d2", d2)):
        if v.shape != (9,):
            raise ValueError(f"{name} must have 9 numbers (one per parameter), got shape {v.shape}")
    alphas, betas = np.asarray(alphas, dtype=float), np.asarray(betas, dtype=float)
    thetas = theta0 + alphas[None, :, None] * d1 + betas[:, None, None] * d2      # (β, α, 9)
    W = thetas[..., :4].reshape(*thetas.shape[:2], 2, 2)
    c, w, b = thetas[..., 4:6], thetas[..., 6:8], thetas[..., 8]
    xs = np.asarray(X)
    z = np.einsum("ni,...ij->...nj", xs, W) + c[..., None, :]                     # (β, α, 4, 2)
    f = np.einsum("...nj,...j->...n", np.maximum(0.0, z), w) + b[..., None]
    return np.mean((np.asarray(TARGETS) - f) ** 2, axis=-1)


def direction(name):
    """The unit vector of θ-space along one named parameter ("c1", "w2" ...)."""
    if name not in PARAMETER_NAMES:
        raise ValueError(f"unknown parameter {name!r}; expected one of {', '.join(PARAMETER_NAMES)}")
    d = np.zeros(9)
    d[PARAMETER_NAMES.index(name)] = 1.0
    return d


def random_directions(seed):
    """Two orthonormal directions of θ-space drawn from N(0, I) with ``seed`` (Gram–Schmidt)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((9, 2)))
    return q[:, 0], q[:, 1]


def surface_slices(seed=0, points=121, extent=1.5):
    """Three 2-D slices of J through the book's solution θ*, α, β ∈ [−extent, extent]:

    * (c1, c2), the hidden biases: moving them moves the units' kinks across the inputs, so J is
      piecewise quadratic with creases, not convex;
    * (w1, w2), the output weights: with the hidden layer fixed, f is linear in them and J is a
      convex quadratic (elliptic contours);
    * two random orthonormal directions (seeded).

    Returns a list of (title, name of d1, name of d2, alphas, betas, J grid)."""
    grid = np.linspace(-extent, extent, points)
    r1, r2 = random_directions(seed)
    chosen = [("hidden biases (c1, c2)", "c1", "c2", direction("c1"), direction("c2")),
              ("output weights (w1, w2)", "w1", "w2", direction("w1"), direction("w2")),
              (f"two random unit directions (seed {seed})", "d1", "d2", r1, r2)]
    return [(title, n1, n2, grid, grid, cost_slice(BOOK_THETA, d1, d2, grid, grid))
            for title, n1, n2, d1, d2 in chosen]
