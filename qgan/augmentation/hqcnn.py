"""The hybrid quantum-classical classifier (HQCNN) of arXiv:2505.24780, Fig. 3.

    image (B, 1, 28, 28)
      -> 3x3 convolution (B, c, 26, 26) -> 2x2 max-pool (B, c, 13, 13) -> ReLU
      -> flatten -> linear map to n angles                                       (B, n)
      -> angle encoding RY(angle_i) on qubit i, then L x [RY, RZ on every qubit, CNOT ring]
         (``circuits.ansatz.hqcnn_classifier``) -> <Z_i> on every qubit            (B, n)
      -> linear map to class logits                                             (B, K)

The quantum part is the project's quantum layer (``qgan.models.quantum.build_qnn`` +
``QuantumLayer``: an ``EstimatorQNN`` on the exact fast simulator, with exact vector-Jacobian
gradients), the same path as the generator's sub-circuits.

The angles are batch-normalised (per qubit, learned scale and shift) before the encoding. Why,
measured on MNIST 0/1/2, 100 real images per class, Adam lr 0.01, 10 epochs, seeds 0-49: with the
linear map's outputs used as they are, a fit's mean |angle| over its training images starts at
0.2-0.5 rad, and ends at ~1.8 rad in a healthy fit but drifts to tens or hundreds of radians in
the fits that collapse (seed 17: 402 rad, test accuracy 0.34): Adam moves each of the map's 676
input weights by ~lr per step, so an angle can move by radians per step; RY is periodic, so
images whose angles differ by many periods land on unrelated states and the classifier ends
near chance (2 in 50 fits below 0.8 test accuracy, 0.36 and 0.66). The normalisation keeps every
qubit's angles at unit scale whatever the map's weights do (mean |angle| after training 0.8,
at most 1.3 over the 50 seeds) and leaves the map free to learn, unlike squashing (pi * tanh
was tried earlier and fails: Adam drives the pre-activations into saturation within an epoch,
every image then encodes to the same state and the classifier predicts one class). Selecting
the best validation epoch (``qgan.augmentation.fit``) takes care of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from circuits.ansatz import hqcnn_classifier
from qgan.models.quantum import QuantumLayer, build_qnn


@dataclass(frozen=True)
class HQCNNConfig:
    n_classes: int = 3  # digits 0, 1, 2 in the paper
    n_qubits: int = 4  # width of the variational circuit (one angle per qubit)
    n_layers: int = 2  # [RY, RZ, CNOT ring] repetitions
    channels: int = 4  # output channels of the 3x3 convolution
    image_size: int = 28  # MNIST
    sim: str = "fast"  # simulator of the quantum layer (qgan.models.quantum.SIMULATORS)
    seed: int = 0  # classical and quantum initial weights
    angle_norm: bool = True  # batch-normalise the angles (module doc: what it fixes)


class HQCNN(nn.Module):
    """Convolution -> pool -> ReLU -> angles -> variational circuit -> <Z> -> logits."""

    def __init__(self, cfg: HQCNNConfig = HQCNNConfig()):
        super().__init__()
        torch.manual_seed(cfg.seed)
        self.cfg = cfg
        self.conv = nn.Conv2d(1, cfg.channels, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        side = (cfg.image_size - 2) // 2
        self.to_angles = nn.Linear(cfg.channels * side * side, cfg.n_qubits)
        # per-qubit standardised angles, learned scale and shift (module doc)
        self.norm = nn.BatchNorm1d(cfg.n_qubits) if cfg.angle_norm else nn.Identity()
        qnn = build_qnn(hqcnn_classifier(cfg.n_qubits, cfg.n_layers), cfg.sim, cfg.seed)
        # quantum weights start U[0, 1), seeded, as the generator's do (qgan.models.quantum)
        start = np.random.default_rng(cfg.seed).uniform(0.0, 1.0, qnn.num_weights)
        self.quantum = QuantumLayer(qnn, initial_weights=start)
        self.head = nn.Linear(cfg.n_qubits, cfg.n_classes)

    def angles(self, x: torch.Tensor) -> torch.Tensor:
        """Encoding angles (B, n_qubits) of images (B, 1, H, W)."""
        features = torch.relu(self.pool(self.conv(x))).flatten(1)  # (B, c * side * side)
        return self.norm(self.to_angles(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expectations = self.quantum(self.angles(x))  # (B, n_qubits) <Z_i> in [-1, 1]
        return self.head(expectations.to(self.head.weight.dtype))  # (B, n_classes) logits

    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters, classical and quantum."""
        quantum = self.quantum.weight.numel()
        total = sum(p.numel() for p in self.parameters())
        return {"classical": total - quantum, "quantum": quantum}
