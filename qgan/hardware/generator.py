"""A HybridQ checkpoint split at the quantum layer, for running that layer on a backend.

HybridQ's inference path (Jiao et al., Fig. 1) is noise -> quantum generator -> post-processing.
``HybridQGenerator`` computes ``decoder(norm(<Z>(noise, weights)))``, with ``norm`` the latent
standardization (BatchNorm1d with running statistics, applied in eval mode) and <Z> the exact
expectation values of the wide circuit ``circuits.ansatz.generator_circuit(n_sub, n_qubits,
n_layers)`` (inputs first, then weights, in ``generator.prior.weight``). On hardware only <Z>
changes: ``decode`` applies the same ``norm`` and ``decoder`` to measured values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from qiskit import QuantumCircuit

from circuits.ansatz import Ansatz
from qgan.checkpoint import load_checkpoint
from qgan.generation import draw_noise, load_generator
from qgan.models import HybridQGenerator, ModelConfig

RUNNABLE = "hybridq"
# why each other model cannot run here, in one line each
NOT_RUNNABLE = {
    "dcgan": "DCGAN is a classical generator: it has no quantum circuit to run on hardware",
    "mosaiq": "MosaiQ checkpoints cannot run on hardware yet (only HybridQ's are wired to "
    "transpile/; MosaiQ's PCA sub-generators may be added later)",
}


class WrongModel(ValueError):
    """The checkpoint is not of a model whose circuit can run on hardware."""


@dataclass(frozen=True, eq=False)
class HybridQParts:
    """The generator of a HybridQ checkpoint, with what hardware inference needs of it.

    Attributes:
        generator: The generator in eval mode (quantum layer, norm, decoder).
        model_config: Its ``ModelConfig`` (``quantum``: n_sub, n_qubits, n_layers, kind).
        weights: (n_weights,) float64 quantum weights, in ``ansatz.weights`` order.
        bound: Noise bound b: noise angles are U[0, b).
        checkpoint: The file it came from.
        step: Training step of the checkpoint (-1 if unknown).
        cls: The class it was trained on ("" if the checkpoint does not say).
    """

    generator: HybridQGenerator
    model_config: ModelConfig
    weights: np.ndarray
    bound: float
    checkpoint: Path
    step: int
    cls: str = ""

    @property
    def latent_dim(self) -> int:
        return self.model_config.latent_dim

    def fingerprint(self) -> str:
        """sha256 of what the quantum outputs depend on: weights and bound (16 hex digits)."""
        blob = self.weights.astype("<f8").tobytes() + np.float64(self.bound).tobytes()
        return hashlib.sha256(blob).hexdigest()[:16]

    def noise(self, n: int, seed: int) -> np.ndarray:
        """(n, latent_dim) float32 noise angles U[0, b), as ``qgan.sample`` draws them."""
        return draw_noise(n, self.latent_dim, self.bound, seed).numpy()

    @torch.no_grad()
    def exact_z(self, noise: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """(N, latent_dim) exact <Z> from the checkpoint's own simulator, in float64."""
        x = torch.as_tensor(noise, dtype=torch.float64)  # the layer answers in its input's dtype
        out = [self.generator.prior(b) for b in x.split(batch_size)]
        return torch.cat(out).numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray) -> torch.Tensor:
        """Images (N, C, H, W) in [-1, 1] from <Z> values (N, latent_dim), as the model does."""
        dtype = self.generator.decoder.fc.weight.dtype
        latent = self.generator.norm(torch.as_tensor(z).to(dtype))  # eval: running statistics
        return self.generator.decoder(latent)


def load_hybridq(checkpoint: str | Path) -> HybridQParts:
    """The HybridQ generator of ``checkpoint`` (a run folder or a .pt file).

    Raises:
        FileNotFoundError: No checkpoint there.
        WrongModel: A checkpoint of another model (dcgan, mosaiq).
        ValueError: Not a readable qgan generator checkpoint.
    """
    ckpt = load_checkpoint(checkpoint)
    model = str(ckpt["config"].get("model", RUNNABLE))  # runs before --model were HybridQ
    if model != RUNNABLE:
        why = NOT_RUNNABLE.get(model, f"unknown model {model!r}")
        raise WrongModel(f"{checkpoint} is a {model} checkpoint: {why}; pass a hybridq run")
    if "noise" not in ckpt or "bound" not in ckpt["noise"]:
        raise ValueError(f"{checkpoint} holds no noise bound: not a HybridQ generator checkpoint")
    generator, model_cfg = load_generator(ckpt)
    if not isinstance(generator, HybridQGenerator):
        raise WrongModel(f"{checkpoint} does not hold a HybridQ generator")
    if model_cfg.prior != "quantum":
        raise WrongModel(
            f"{checkpoint} is a HybridQ ablation with a {model_cfg.prior!r} prior: it has no "
            "quantum circuit to run; pass a run trained with --prior quantum"
        )
    path = Path(checkpoint)
    return HybridQParts(
        generator=generator,
        model_config=model_cfg,
        weights=generator.prior.weight.detach().double().cpu().numpy(),
        bound=float(ckpt["noise"]["bound"]),
        checkpoint=path / "last.pt" if path.is_dir() else path,
        step=int(ckpt.get("position", {}).get("step", -1)),
        cls=str(ckpt["config"].get("cls", "")),
    )


def circuit_values(
    ansatz: Ansatz, isa: QuantumCircuit, noise: np.ndarray, weights: np.ndarray, sub: int | None
) -> np.ndarray:
    """(P, isa.num_parameters) parameter values in ``isa.parameters`` order.

    Args:
        ansatz: The logical circuit the ISA circuit came from (its Parameter objects).
        isa: The transpiled circuit.
        noise: (P, latent_dim) noise angles of the whole generator.
        weights: (n_weights,) quantum weights of the whole generator.
        sub: None for the wide circuit; g for sub-generator g run alone (its inputs are noise
            columns [g*n, (g+1)*n) and its weights [g*W, (g+1)*W), ``generator_circuit``'s order).
    """
    n_in, n_w = len(ansatz.inputs), len(ansatz.weights)
    x_off, w_off = (0, 0) if sub is None else (sub * n_in, sub * n_w)
    column = {p: ("x", x_off + i) for i, p in enumerate(ansatz.inputs)}
    column |= {p: ("w", w_off + j) for j, p in enumerate(ansatz.weights)}
    out = np.empty((len(noise), isa.num_parameters))
    for k, param in enumerate(isa.parameters):
        kind, index = column[param]
        out[:, k] = noise[:, index] if kind == "x" else weights[index]
    return out
