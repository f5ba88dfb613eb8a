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
        # Derivatives come from SymPy: Qiskit's ParameterExpression.gradient(p).sympify() has
        # returned the wrong symbol for products (d(a*b)/da sympified to a), seen with qiskit 2.6.
        params = sorted(expr.parameters, key=lambda p: column[p])
        form = expr.sympify()
        by_name = {s.name: s for s in form.free_symbols}
        symbols = [by_name.get(p.name, sympy.Symbol(p.name)) for p in params]
        derivs = [sympy.diff(form, s) for s in symbols]
        if all(d.is_number for d in derivs):
            for p, d in zip(params, derivs, strict=True):
                self.matrix[i, column[p]] = _real(d)
            self.offset[i] = _real(form.subs({s: 0 for s in symbols}))
            return
        value = sympy.lambdify(symbols, form, "numpy")
        slopes = [sympy.lambdify(symbols, d, "numpy") for d in derivs]
        self.nonlinear.append((i, [column[p] for p in params], value, slopes))

    def values(self, params: np.ndarray) -> np.ndarray:
        """Angles (N, A) of parameter values ``params`` (N, P)."""
        rows, cols = np.nonzero(self.matrix)
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
        rows, cols = np.nonzero(self.matrix)
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


def _real(value) -> float:
    value = complex(value)
    if abs(value.imag) > 1e-12:
        raise ValueError(f"gate angle has a complex coefficient {value}")
    return value.real
