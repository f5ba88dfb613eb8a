"""Principal component analysis as a torch module whose fit lives in buffers (MosaiQ's PCA).

MosaiQ (Silver et al., ICCV 2023) reduces each training image to its leading principal
components, generates those, and maps generated components back with the PCA inverse
transform. ``PCA.fit`` centres the data and takes its top-k right singular vectors:

    x (N, D) -> mean (D,), components (k, D) orthonormal rows, explained_variance (k,)
    transform(x) = (x - mean) @ components.T          inverse_transform(z) = z @ components + mean

exactly up to ``exact_limit`` samples, and above it by a seeded randomized SVD (Halko,
Martinsson and Tropp 2011: a Gaussian sketch, power iterations with re-orthonormalization, an
SVD of the small projected matrix), as scikit-learn's "randomized" solver does. The exact fit
diagonalizes the Gram matrix X X^T (N x N) of the centred data, whose nonzero spectrum is
X^T X's: an SVD of X (N x D) itself took 75 s for 890 MEL-sized images on this 2-core machine,
the Gram route 3 s, and its rounding (eps times the largest eigenvalue) is far below the
leading components' variances. Components come sorted by explained variance, each with its
largest-magnitude entry positive, so a fit is reproducible. The fit is stored as buffers, so a
checkpoint of a module holding a ``PCA`` carries everything needed to invert it.
"""

from __future__ import annotations

import torch
from torch import nn

EXACT_LIMIT = 2048  # samples up to which the SVD is exact (890 MEL training images: exact)
OVERSAMPLE = 20  # extra sketch columns of the randomized SVD
POWER_ITERATIONS = 7  # scikit-learn's default for few components


class PCA(nn.Module):
    """A fitted PCA of ``n_features``-vectors onto ``n_components`` (see the module docstring).

    Constructed empty (zeros, for loading a state dict into); ``PCA.fit`` makes a fitted one.
    """

    def __init__(self, n_features: int, n_components: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))  # (D,)
        self.register_buffer("components", torch.zeros(n_components, n_features))  # (k, D)
        self.register_buffer("explained_variance", torch.zeros(n_components))  # (k,)

    @property
    def n_components(self) -> int:
        return self.components.shape[0]

    @classmethod
    def fit(
        cls, x: torch.Tensor, n_components: int, seed: int = 0, exact_limit: int = EXACT_LIMIT
    ) -> PCA:
        """The PCA of samples ``x`` (N, D), fitted in float64, stored in float32.

        Raises:
            ValueError: Fewer than ``n_components + 1`` samples, or more components than D.
        """
        n, d = x.shape
        if not n_components < n or n_components > d:
            raise ValueError(
                f"PCA with {n_components} components needs more than {n_components} samples "
                f"of at most {d} features; got {n} samples"
            )
        mean, components, variance = principal_components(x, n_components, seed, exact_limit)
        pca = cls(d, n_components)
        pca.mean.copy_(mean)
        pca.components.copy_(components)
        pca.explained_variance.copy_(variance)
        return pca

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """Coefficients (B, k) of samples (B, D)."""
        return (x - self.mean) @ self.components.T

    def inverse_transform(self, z: torch.Tensor) -> torch.Tensor:
        """Samples (B, D) of coefficients (B, k): the projection back onto the span."""
        return z @ self.components + self.mean


def principal_components(
    x: torch.Tensor, k: int, seed: int = 0, exact_limit: int = EXACT_LIMIT
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean (D,), components (k, D), explained variance (k,)) of ``x`` (N, D), float64."""
    x = x.detach().to(torch.float64)
    mean = x.mean(0)
    centred = x - mean
    if len(x) <= exact_limit:
        s, vt = _gram_svd(centred, k)
    else:
        s, vt = _randomized_svd(centred, k, seed)
    vt = vt[:k]
    # Sign fix: the largest-magnitude entry of every component positive (reproducible fits).
    pivot = vt.gather(1, vt.abs().argmax(1, keepdim=True))  # (k, 1)
    vt = vt * torch.sign(pivot)
    return mean, vt, s[:k].square() / (len(x) - 1)


def _gram_svd(a: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(top-k singular values, right singular vectors (k, D)) of ``a`` (N, D) from a a^T."""
    eigenvalues, u = torch.linalg.eigh(a @ a.T)  # ascending, (N,), (N, N)
    top = eigenvalues.flip(0)[:k].clamp(min=0)
    # v_i = a^T u_i / s_i, normalized directly: a zero direction (rank-deficient data) stays 0
    vt = torch.nn.functional.normalize((a.T @ u.flip(1)[:, :k]).T, dim=1)
    return top.sqrt(), vt


def _randomized_svd(a: torch.Tensor, k: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(singular values, right singular vectors (l, D)) of the top of ``a`` (N, D), seeded."""
    width = min(k + OVERSAMPLE, *a.shape)
    gen = torch.Generator().manual_seed(seed)
    sketch = torch.randn(a.shape[1], width, generator=gen, dtype=a.dtype)  # (D, l)
    q, _ = torch.linalg.qr(a @ sketch)  # (N, l): an orthonormal basis of a's range, roughly
    for _ in range(POWER_ITERATIONS):  # sharpen it toward the top singular directions
        q, _ = torch.linalg.qr(a.T @ q)
        q, _ = torch.linalg.qr(a @ q)
    _, s, vt = torch.linalg.svd(q.T @ a, full_matrices=False)  # (l, D) projected problem
    return s, vt
