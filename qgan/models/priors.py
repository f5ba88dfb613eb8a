"""What turns HybridQ's noise into latents: the quantum generator, or a classical stand-in.

``ModelConfig.prior`` chooses, everything else fixed (the same U[0, b) noise, the same
standardization, decoder, encoder and losses), so that what the quantum part adds is measured:

- ``quantum``: the paper's 10 sub-generators of 10 qubits (``qgan.models.quantum``), 600 weights.
- ``mlp``: a classical map with the same 600 trainable parameters on the same noise: per block of
  10 noise angles (one sub-generator's), x + W2 tanh(W1 x) with W1 (3 x 10) and W2 (10 x 3), no
  biases (the standardization that follows removes them). The skip keeps the map one-to-one, as
  the circuit's is on the small noise range; the 60 weights per block shape it.
- ``none``: no trainable map: the noise itself, standardized, is the latent.
"""

from __future__ import annotations

import torch
from torch import nn

from qgan.models.config import PRIORS, QuantumConfig
from qgan.models.quantum import quantum_generator


class BlockMLP(nn.Module):
    """x + W2 tanh(W1 x) per block of ``block`` coordinates; (B, n_blocks * block) both ways."""

    def __init__(self, n_blocks: int, block: int, hidden: int):
        super().__init__()
        self.n_blocks, self.block = n_blocks, block
        self.w1 = nn.Parameter(torch.randn(n_blocks, hidden, block) / block**0.5)
        self.w2 = nn.Parameter(torch.randn(n_blocks, block, hidden) / hidden**0.5)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        x = noise.view(-1, self.n_blocks, self.block)  # (B, n_blocks, block)
        h = torch.tanh(torch.einsum("khb,nkb->nkh", self.w1, x))  # (B, n_blocks, hidden)
        return (x + torch.einsum("kbh,nkh->nkb", self.w2, h)).flatten(1)


class NoPrior(nn.Module):
    """The noise, unchanged (as float): nothing to train."""

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return noise


def build_prior(kind: str, quantum: QuantumConfig, seed: int) -> nn.Module:
    """The prior ``kind`` for noise of width ``quantum.n_sub * quantum.n_qubits``.

    ``mlp`` weights are drawn from ``seed`` (torch's global RNG kept); it has exactly as many
    parameters as the quantum generator with the default 10 x 10 qubits and 6 layers (600).
    """
    if kind == "quantum":
        return quantum_generator(quantum)
    if kind == "mlp":
        hidden = quantum.n_layers // 2  # 2 * hidden * n_qubits = n_layers * n_qubits weights
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return BlockMLP(quantum.n_sub, quantum.n_qubits, max(1, hidden))
    if kind == "none":
        return NoPrior()
    raise ValueError(f"unknown prior {kind!r}; choose one of {', '.join(PRIORS)}")
