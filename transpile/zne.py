"""Zero-noise extrapolation: two-qubit gate folding on ISA circuits, and extrapolators.

Noise is amplified by unitary folding (Temme, Bravyi & Gambetta, PRL 119, 180509
(2017); Giurgica-Tiron et al., arXiv:2005.10921): a two-qubit gate G becomes G (G^dag G)^k, the
same unitary with 2k + 1 times the gate's noise. The inverse is written in the backend's own
basis (ECR, CZ and CX are their own inverses), so a folded ISA circuit stays ISA. Expectation
values measured at the realized noise scales are extrapolated to scale 0 by small pure
functions (Richardson, least-squares polynomials, a single exponential).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import CircuitInstruction, Gate
from qiskit.transpiler import Target

from transpile.mitigation_config import EXTRAPOLATORS, FOLD_SELECTIONS

# our fold selection -> Runtime's gate-folding amplifier (which gates fold first)
AMPLIFIERS = {"random": "gate_folding", "front": "gate_folding_front", "back": "gate_folding_back"}
MAX_POLYNOMIAL_DEGREE = 7  # Runtime's polynomial extrapolators go up to degree 7
POLYNOMIAL_DEGREES = {"linear": 1, "quadratic": 2}  # the least-squares extrapolators


def fold_two_qubit_gates(
    circuit: QuantumCircuit,
    scale: float,
    *,
    select: str = "random",
    seed: int = 0,
    target: Target | None = None,
) -> tuple[QuantumCircuit, float]:
    """Amplify two-qubit gate noise by folding: G -> G (G^dag G)^k.

    With N two-qubit gates and scale c, F = round((c - 1) N / 2) folds are spread over the gates:
    every gate gets floor(F / N) and F mod N gates (chosen by ``select``) one more. Odd integer
    scales therefore fold every gate the same way (global two-qubit folding).

    Args:
        circuit: An ISA circuit (any circuit; nothing is re-transpiled).
        scale: Noise scale factor c >= 1.
        select: Which gates take the remainder folds: "random" (seeded), "front" or "back".
        seed: Seed of the "random" selection.
        target: If given, every inverse gate must be supported on its qubits, so the folded
            circuit stays ISA.

    Returns:
        The folded circuit and the realized scale 1 + 2F/N (equal to c for odd integers).
    """
    if scale < 1:
        raise ValueError(f"a noise scale factor must be >= 1, got {scale}")
    positions = [i for i, inst in enumerate(circuit.data) if _is_two_qubit_gate(inst)]
    if not positions:
        raise ValueError("the circuit has no two-qubit gates to fold; ZNE cannot amplify noise")
    counts = _fold_counts(len(positions), scale, select, seed)
    folds = dict(zip(positions, counts.tolist(), strict=True))
    out = circuit.copy_empty_like()
    for i, inst in enumerate(circuit.data):
        out.append(inst)
        if folds.get(i):
            inverse = _inverse(inst, circuit, target)
            for _ in range(folds[i]):
                out.append(inverse)
                out.append(inst)
    return out, 1.0 + 2.0 * counts.sum() / len(positions)


def count_two_qubit_gates(circuit: QuantumCircuit) -> int:
    """Number of two-qubit gates (barriers, delays and measurements do not count)."""
    return sum(_is_two_qubit_gate(inst) for inst in circuit.data)


def extrapolate(
    scales: Sequence[float] | np.ndarray, values: np.ndarray, method: str = "linear"
) -> np.ndarray:
    """Extrapolate values measured at noise scales to scale 0.

    * ``linear`` / ``quadratic``: least-squares polynomial of degree 1 / 2, value at 0.
    * ``richardson``: the polynomial of degree S-1 through all S points, sum_j gamma_j y_j
      with gamma from ``richardson_weights``.
    * ``exponential``: y = A exp(-b c) fitted to log|y| by least squares, value A. Where the
      values of one entry change sign or touch 0 the model cannot hold (log undefined), so that
      entry falls back to ``linear``.

    Args:
        scales: Realized noise scales, shape (S,), distinct.
        values: Measured values, shape (..., S).
        method: One of ``EXTRAPOLATORS``.

    Returns:
        Zero-noise estimates, shape (...).
    """
    c = np.asarray(scales, dtype=float)
    y = np.asarray(values, dtype=float)
    _check_scales(c, y)
    weights = linear_weights(c, method)
    if weights is not None:
        return y @ weights
    if method == "exponential":
        return _exponential_at_zero(c, y)
    raise ValueError(f"extrapolator must be one of {EXTRAPOLATORS}, got {method!r}")


def pooled_extrapolate(
    scales: Sequence[float] | np.ndarray,
    values: np.ndarray,
    method: str = "richardson",
    noise_var: np.ndarray | None = None,
) -> np.ndarray:
    """Zero-noise estimates of P parameter sets that share a circuit, regressed across them.

    Each set's own extrapolation t_p (``extrapolate``) is unbiased but noisy: Richardson at
    1, 3, 5 multiplies shot noise by 2.3. Its conditional mean given the set's value at the
    lowest scale y_p is nearly linear across sets (the noise acts on every set alike), so
    per observable it is fitted by least squares over the P sets,

        z_p = mean(t) + k (y_p - mean(y)),   k = (cov(t, y) - w_1 s^2) / var(y),

    which keeps y_p's shot noise alone, scaled by k, and shares the extrapolation's noise
    among P sets. t_p holds y_p's own shot noise with its weight w_1 (Richardson at 1, 3, 5:
    1.875), so the plain covariance credits that noise to the slope; with ``noise_var`` (s^2,
    a set's shot-noise variance at each scale) it is taken out (errors in variables), which
    leaves the best linear predictor of the zero-noise value from y_p: it shrinks the
    deviations where they are mostly shot noise. Each observable's slope k is shrunk toward
    the slope of all observables together by its own sampling variance (empirical Bayes,
    James-Stein): it is well determined where the sets differ much, and borrowed where they
    differ little. The idea is Clifford data regression's (Czarnik et al., Quantum 5, 592
    (2021)), with the batch's own ZNE estimates as the training data. With P <= 2 it is
    ``extrapolate``.

    Args:
        scales: (S,) realized noise scales.
        values: (P, ..., S) values of P parameter sets at each scale.
        method: One of ``EXTRAPOLATORS``, the per-set extrapolation.
        noise_var: (..., S) shot-noise variance of one set's value at each scale (the mean
            over sets), or None: no correction. The exponential fit is not linear in the
            values, so it takes none.

    Returns:
        (P, ...) zero-noise estimates.
    """
    y_all = np.asarray(values, dtype=float)
    t = extrapolate(scales, y_all, method)  # (P, ...)
    if len(t) <= 2:  # two points: the fitted line passes through both
        return t
    lowest = int(np.argmin(np.asarray(scales, dtype=float)))
    y = y_all[..., lowest]  # (P, ...)
    shared = np.zeros(y.shape[1:])  # cov of t's and y's shot noise, per observable
    weights = linear_weights(scales, method)
    if noise_var is not None and weights is not None:
        s2 = np.broadcast_to(np.asarray(noise_var, dtype=float), y_all.shape[1:])
        shared = weights[lowest] * s2[..., lowest]
    dy, dt = y - y.mean(axis=0), t - t.mean(axis=0)
    return t.mean(axis=0) + _shrunk_slopes(dy, dt, shared) * dy


def linear_weights(scales: Sequence[float] | np.ndarray, method: str) -> np.ndarray | None:
    """(S,) weights w with extrapolate(scales, y, method) = y @ w; None for a method that is
    not linear in the values (exponential) or unknown."""
    c = np.asarray(scales, dtype=float)
    if method == "richardson":
        return richardson_weights(c)
    degree = POLYNOMIAL_DEGREES.get(method)
    return None if degree is None else _polynomial_weights(c, degree)


def _shrunk_slopes(dy: np.ndarray, dt: np.ndarray, shared: np.ndarray | float = 0.0) -> np.ndarray:
    """(...) least-squares slopes of dt on dy over axis 0, less the noise covariance ``shared``
    the two have in common, each shrunk toward the slope of all observables together by
    w = tau^2 / (tau^2 + var(k)), tau^2 the slopes' true spread."""
    n = len(dy)
    var = (dy**2).mean(axis=0)
    spread = var > 1e-24  # an observable equal in every set has no slope to fit
    safe = np.where(spread, var, 1.0)
    cov = (dy * dt).mean(axis=0) - shared
    k = np.where(spread, cov / safe, 0.0)
    k_var = np.where(spread, ((dt - k * dy) ** 2).mean(axis=0) / (n * safe), 0.0)
    pooled = float(np.where(spread, cov, 0.0).sum()) / max(float(var.sum()), 1e-24)
    if not spread.any():
        return k
    tau2 = max(float(k[spread].var() - k_var[spread].mean()), 0.0)
    weight = np.where(k_var > 0, tau2 / np.maximum(tau2 + k_var, 1e-24), 1.0)
    return weight * k + (1 - weight) * pooled


def richardson_weights(scales: Sequence[float] | np.ndarray) -> np.ndarray:
    """Lagrange weights gamma_j = prod_{i != j} c_i / (c_i - c_j) of the value at 0.

    The degree S-1 interpolant through (c_j, y_j) takes the value sum_j gamma_j y_j at 0; the
    weights sum to 1, and sqrt(sum gamma_j^2) is how much the shot noise grows.
    """
    c = np.asarray(scales, dtype=float)
    if len(set(c.tolist())) != len(c):
        raise ValueError(f"noise scales must be distinct, got {c.tolist()}")
    return np.array(
        [np.prod([ci / (ci - cj) for i, ci in enumerate(c) if i != j]) for j, cj in enumerate(c)]
    )


def _polynomial_weights(c: np.ndarray, degree: int) -> np.ndarray:
    """(S,) weights of the least-squares polynomial of degree ``degree``'s value at 0: row 0
    of the Vandermonde matrix's pseudo-inverse (its column 0 is the constant term)."""
    if len(c) <= degree:
        raise ValueError(f"a degree-{degree} fit needs more than {degree} noise scales")
    return np.linalg.pinv(np.vander(c, degree + 1, increasing=True))[0]


def _exponential_at_zero(c: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A of y = A exp(-b c) per entry, linear fallback where the signs are not all equal."""
    sign = np.sign(y[..., :1])
    fits = np.all(np.sign(y) == sign, axis=-1) & (sign[..., 0] != 0)  # (...)
    log_abs = np.log(np.where(fits[..., None], np.abs(y), 1.0))  # guard: log(0) where unfit
    line = _polynomial_weights(c, 1)  # the straight line's value at 0, for both fits
    return np.where(fits, sign[..., 0] * np.exp(log_abs @ line), y @ line)


def _check_scales(c: np.ndarray, y: np.ndarray) -> None:
    """Raise unless the scales are a distinct 1-D array matching the values' last axis."""
    if c.ndim != 1 or y.shape[-1:] != c.shape:
        raise ValueError(f"values of shape {y.shape} do not match {len(c)} noise scales")
    if len(set(c.tolist())) != len(c):
        raise ValueError(f"noise scales must be distinct, got {c.tolist()}")


def _fold_counts(n: int, scale: float, select: str, seed: int) -> np.ndarray:
    """Folds per gate, shape (n,): F = round((scale - 1) n / 2) spread as evenly as possible."""
    if select not in FOLD_SELECTIONS:
        raise ValueError(f"select must be one of {FOLD_SELECTIONS}, got {select!r}")
    total = int(round((scale - 1.0) * n / 2.0))
    counts = np.full(n, total // n, dtype=int)
    extra = total % n
    if select == "front":
        chosen = np.arange(extra)
    elif select == "back":
        chosen = np.arange(n - extra, n)
    else:
        chosen = np.random.default_rng(seed).choice(n, size=extra, replace=False)
    counts[chosen] += 1
    return counts


def _is_two_qubit_gate(inst: CircuitInstruction) -> bool:
    """True for unitary gates on exactly two qubits (not barriers, delays or measurements)."""
    return isinstance(inst.operation, Gate) and len(inst.qubits) == 2


def _inverse(
    inst: CircuitInstruction, circuit: QuantumCircuit, target: Target | None
) -> CircuitInstruction:
    """G^dag on the same qubits; with a target, checked to be in the backend's basis."""
    inverse = inst.operation.inverse()
    if target is not None:
        qargs = tuple(circuit.find_bit(q).index for q in inst.qubits)
        if not target.instruction_supported(inverse.name, qargs, parameters=inverse.params or None):
            raise ValueError(
                f"the inverse of {inst.operation.name} on {qargs} is {inverse.name}, which the "
                "backend does not support there; fold a circuit in a self-inverse basis (ecr/cz/cx)"
            )
    return inst.replace(operation=inverse)


def runtime_extrapolator(cfg) -> str | tuple[str, ...]:
    """Runtime's name for ``cfg.extrapolator``.

    Richardson through S points is the degree S-1 polynomial; exponential falls back to linear
    where the fit fails, as our own ``extrapolate`` does.
    """
    if cfg.extrapolator == "richardson":
        degree = len(cfg.scale_factors) - 1
        if degree > MAX_POLYNOMIAL_DEGREE:
            raise ValueError(f"Runtime fits polynomials up to degree {MAX_POLYNOMIAL_DEGREE}")
        return "linear" if degree == 1 else f"polynomial_degree_{degree}"
    return {
        "linear": "linear",
        "quadratic": "polynomial_degree_2",
        "exponential": ("exponential", "linear"),
    }[cfg.extrapolator]


def runtime_options(cfg) -> dict:
    """ZNE in IBM Runtime's ``EstimatorOptions``: gate folding at ``scale_factors`` with our
    extrapolator's Runtime name. Runtime runs every noise factor with the same shots, so
    ``scale_shots`` is local only; ``pooled`` is applied to the per-factor values Runtime
    returns (``qgan.hardware.runtime.pub_values``)."""
    return {
        "resilience": {
            "zne_mitigation": cfg.zne,
            "zne": {
                "amplifier": AMPLIFIERS[cfg.fold],
                "noise_factors": list(cfg.scale_factors),
                "extrapolator": runtime_extrapolator(cfg),
            },
        }
    }
