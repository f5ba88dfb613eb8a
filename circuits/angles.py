"""Gate angles as functions of circuit parameters, batched, with their derivatives.

Most angles are affine in the parameters (``x``, ``2*theta + 0.3``): they are one matrix
product, angles = values @ A.T + b, and the chain rule is the same constant A. Any other
expression (``sin(a) * b``) is evaluated with a NumPy function made from its SymPy form, and
its derivative with the functions of its exact symbolic gradients.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy
import torch
from qiskit.circuit import Parameter, ParameterExpression


class AngleMap:
    """Maps parameter values (N, P) to gate angles (N, A) and gradients back."""

    def __init__(self, expressions: Sequence[ParameterExpression], parameters: Sequence[Parameter]):
        self.parameters = list(parameters)
        column = {p: i for i, p in enumerate(self.parameters)}
        missing = {p for e in expressions for p in e.parameters} - set(column)
        if missing:
            names = sorted(p.name for p in missing)
            raise ValueError(f"no value column for circuit parameter(s) {names}")
        self.num_angles = len(expressions)
        self.matrix = np.zeros((self.num_angles, len(self.parameters)))  # A (affine part)
        self.offset = np.zeros(self.num_angles)  # b
        self.nonlinear: list[tuple[int, list[int], object, list[object]]] = []
        for i, expr in enumerate(expressions):
            self._add(i, expr, column)

    def _add(self, i: int, expr: ParameterExpression, column: dict) -> None:
        params = sorted(expr.parameters, key=lambda p: column[p])
        symbols = [sympy.Symbol(f"_p{j}") for j in range(len(params))]
        form = _sympy_form(expr, params, symbols)
        derivs = [sympy.diff(form, s) for s in symbols]
        if all(d.is_number for d in derivs):
            for p, d in zip(params, derivs, strict=True):
                self.matrix[i, column[p]] = _real(d)
            self.offset[i] = _real(form.subs({s: 0 for s in symbols}))
            return
        value = sympy.lambdify(symbols, form, "numpy")
        slopes = [sympy.lambdify(symbols, d, "numpy") for d in derivs]
        self.nonlinear.append((i, [column[p] for p in params], value, slopes))

    def _sparse(self) -> tuple[np.ndarray, np.ndarray]:
        """(angle, parameter) index pairs of the affine part's nonzero coefficients, cached."""
        if not hasattr(self, "_nonzero"):
            self._nonzero = np.nonzero(self.matrix)
        return self._nonzero

    def values(self, params: np.ndarray) -> np.ndarray:
        """Angles (N, A) of parameter values ``params`` (N, P)."""
        rows, cols = self._sparse()
        angles = np.tile(self.offset, (len(params), 1))
        np.add.at(angles.T, rows, (params[:, cols] * self.matrix[rows, cols]).T)
        for i, cols, fn, _ in self.nonlinear:
            angles[:, i] = np.real(fn(*params[:, cols].T))
        return angles

    def pullback(self, grad_angles: torch.Tensor, params: np.ndarray) -> torch.Tensor:
        """Chain rule: gradients over angles (N, K, A) to gradients over parameters (N, K, P).

        The affine part is a sparse scatter-add (each angle usually holds one parameter), not a
        dense (A, P) matmul, which would cost A*P per output for a 700-parameter generator.
        """
        rows, cols = self._sparse()
        coeffs = torch.as_tensor(self.matrix[rows, cols], dtype=grad_angles.dtype)
        grad = grad_angles.new_zeros(*grad_angles.shape[:-1], len(self.parameters))
        source = grad_angles[..., torch.as_tensor(rows)] * coeffs.to(grad_angles.device)
        grad.index_add_(-1, torch.as_tensor(cols, device=grad.device), source)
        for i, cols_i, _, derivs in self.nonlinear:
            columns = params[:, cols_i].T
            for col, d in zip(cols_i, derivs, strict=True):
                slope = np.real(np.broadcast_to(d(*columns), (len(params),))).copy()
                slope_t = torch.as_tensor(slope, dtype=grad.dtype, device=grad.device)
                grad[:, :, col] += grad_angles[:, :, i] * slope_t[:, None]
        return grad


def _sympy_form(expr: ParameterExpression, params: list[Parameter], symbols: list) -> sympy.Expr:
    """``expr`` as a SymPy expression of ``symbols`` (one per parameter, in ``params`` order),
    checked against Qiskit's own numerical binding.

    Qiskit 2.6's ``sympify`` has returned the wrong symbol when an expression reduces to one
    (``(a - a + b).sympify()`` gave ``a`` or ``b`` depending on hash order; so did the
    sympified gradient of ``a*b``), so the form is rebuilt from names and verified at two
    random points; a mismatch is an error, not a wrong circuit.
    """
    if expr.is_symbol():
        form = symbols[[p.name for p in params].index(str(expr))]
    else:
        by_name = {p.name: s for p, s in zip(params, symbols, strict=True)}
        raw = expr.sympify()
        form = raw.subs({s: by_name[s.name] for s in raw.free_symbols if s.name in by_name})
    rng = np.random.default_rng(0)
    for _ in range(2):
        point = rng.uniform(-2.0, 2.0, len(params))
        expected = complex(expr.bind(dict(zip(params, point, strict=True))))
        got = complex(form.subs(dict(zip(symbols, point, strict=True))))
        if not np.isclose(expected, got, rtol=1e-9, atol=1e-12):
            raise ValueError(f"cannot translate gate angle {expr} for simulation (got {form})")
    return form


def _real(value) -> float:
    value = complex(value)
    if abs(value.imag) > 1e-12:
        raise ValueError(f"gate angle has a complex coefficient {value}")
    return value.real
