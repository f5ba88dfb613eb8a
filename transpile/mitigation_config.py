"""``MitigationConfig``: four independent switches (readout, zne, dd, twirling), each
technique's settings, and the registry that tells every path what a technique does.

A technique lives in its own module (``readout``, ``zne``, ``suppression``) and is known to the
rest of the code through one line of ``TECHNIQUES``: its switch, its part of IBM Runtime's
``EstimatorOptions`` and, for techniques that change the circuits run (twirling, DD), the
transform the local simulation applies. Adding one touches its module and this file (its
switch and settings, and its registry line).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

# The choices of the flags below, declared here so that this config (and every --help that
# shows it) loads no qiskit; the modules that act on them import them from here.
METHODS = ("ptm", "automatic", "density_matrix", "statevector")  # transpile.noisy
DD_SEQUENCES = ("none", "XX", "XpXm", "XY4")  # transpile.suppression
EXTRAPOLATORS = ("linear", "quadratic", "richardson", "exponential")  # transpile.zne
FOLD_SELECTIONS = ("random", "front", "back")  # transpile.zne

CALIBRATIONS = ("circuits", "target")


def _opt(default, help: str):
    """A dataclass field with its CLI help (``qgan.config.add_arguments`` reads ``help``)."""
    return field(default=default, metadata={"help": help})


def _function(path: str) -> Callable:
    """The function ``"module:name"`` of the transpile package, imported on first use."""
    module, name = path.split(":")
    return getattr(importlib.import_module(f"transpile.{module}"), name)


@dataclass(frozen=True)
class Technique:
    """One mitigation technique as the rest of the code sees it.

    Attributes:
        name: Its on/off field of ``MitigationConfig`` (the flag ``--<name>``).
        runtime_path: ``"module:function"``, cfg -> its part of Runtime's ``EstimatorOptions``
            (on and off alike).
        variants_path: For techniques that change the circuits, ``"module:function"``:
            (circuits of one qubit group, cfg, target, seed) -> the circuits the local
            simulation runs instead; "" for those built into the estimation (readout
            calibration, ZNE's scales and extrapolation).
    """

    name: str
    runtime_path: str
    variants_path: str = ""

    @property
    def runtime(self) -> Callable[[MitigationConfig], dict]:
        return _function(self.runtime_path)

    @property
    def variants(self) -> Callable | None:
        return _function(self.variants_path) if self.variants_path else None


# the registry; order matters locally: twirling first, then DD pads the twirled circuits
TECHNIQUES: dict[str, Technique] = {
    "readout": Technique("readout", "readout:runtime_options"),
    "zne": Technique("zne", "zne:runtime_options"),
    "twirling": Technique("twirling", "suppression:twirling_options", "suppression:twirl_variants"),
    "dd": Technique("dd", "suppression:dd_options", "suppression:dd_variants"),
}


@dataclass(frozen=True)
class MitigationConfig:
    """How expectation values are estimated and mitigated; every field is a flag of
    ``python -m qgan.hardware_infer`` and is recorded with the results."""

    # on by default: cheap (two calibration circuits), never hurts, and it is what IBM's
    # default resilience level 1 does on hardware (TREX)
    readout: bool = _opt(True, "readout-error mitigation (tensored; TREX on IBM)")
    zne: bool = _opt(False, "zero-noise extrapolation over two-qubit gate folding")
    dd: bool = _opt(False, "dynamical decoupling of idle qubits (sequence: --dd-sequence)")
    twirling: bool = _opt(False, "Pauli twirling of the two-qubit gates (--twirls copies)")
    # (1, 3, 5): IBM Runtime's default ZNE noise factors; odd integers fold every gate alike
    scale_factors: tuple[float, ...] = _opt((1.0, 3.0, 5.0), "ZNE noise scale factors (>= 1)")
    # 5:1:1 with pooling: the scale-1 values carry each parameter set's own signal, the higher
    # scales only the batch's regression (measured in benchmarks.mitigation_bench)
    scale_shots: tuple[float, ...] = _opt(
        (5.0, 1.0, 1.0),
        "relative shots of each ZNE scale; they share --shots x the number of "
        "scales, the cost of an even split (IBM Runtime runs each scale with --shots)",
    )
    # richardson: no decay model assumed; relaxation is not depolarizing, so <Z> need not decay
    # to 0 and the exponential fit misfires near 0. It amplifies shot noise 2.3x (linear 1.2x),
    # which the pooled regression shares among the batch
    extrapolator: str = _opt("richardson", f"ZNE extrapolator: {' | '.join(EXTRAPOLATORS)}")
    pooled: bool = _opt(
        True,
        "ZNE regresses each parameter set's extrapolation on its lowest-scale value "
        "across the batch (zne.pooled_extrapolate); off: each set extrapolated alone",
    )
    # random: IBM's gate_folding default for scales that fold only some gates
    fold: str = _opt(
        "random", f"gates folded first at non-odd scales: {' | '.join(FOLD_SELECTIONS)}"
    )
    # measured calibration: also catches the X gate's error and any asymmetry of the readout
    calibration: str = _opt("circuits", "readout calibration: circuits | target")
    # 16384: the rates' shot noise (~0.001) then stays well under the rates themselves (~0.02)
    calibration_shots: int = _opt(16384, "shots of each readout calibration circuit")
    # XX: the simplest sequence; Aer's relaxation is Markovian, which DD cannot refocus
    dd_sequence: str = _opt("XX", f"DD sequence: {' | '.join(DD_SEQUENCES[1:])}")
    # 8: each randomization is one more simulated circuit per parameter set locally
    twirls: int = _opt(8, "Pauli-twirl randomizations per circuit when --twirling is on")
    shots: int = _opt(4096, "shots per circuit and parameter set (split over twirls)")
    # True: qubits decohere while they wait, as on hardware (delays get T1/T2 noise)
    idle_noise: bool = _opt(True, "schedule ALAP and simulate T1/T2 noise on idle qubits")
    # ptm: the same noise model as Aer's, exact, every parameter set in one batch: ~20x faster
    # than Aer's density matrix on a 10-qubit line (wider groups fall back to Aer automatic)
    method: str = _opt("ptm", f"local simulator: {' | '.join(METHODS)} (the others are Aer's)")
    seed: int = _opt(0, "seed of the simulator, folding and twirling")

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("extrapolator", self.extrapolator, EXTRAPOLATORS),
            ("fold", self.fold, FOLD_SELECTIONS),
            ("calibration", self.calibration, CALIBRATIONS),
            ("dd_sequence", self.dd_sequence, DD_SEQUENCES[1:]),
            ("method", self.method, METHODS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {' | '.join(allowed)}, got {value!r}")
        scales = tuple(float(s) for s in self.scale_factors)
        if len(scales) < 2 or min(scales) < 1 or len(set(scales)) != len(scales):
            raise ValueError(f"scale_factors must be >= 2 distinct values >= 1, got {scales}")
        weights = tuple(float(w) for w in self.scale_shots)
        if len(weights) != len(scales) or min(weights) <= 0:
            raise ValueError(
                f"scale_shots must be {len(scales)} positive numbers, one per "
                f"scale factor, got {weights}"
            )
        order = sorted(range(len(scales)), key=scales.__getitem__)
        object.__setattr__(self, "scale_factors", tuple(scales[i] for i in order))
        object.__setattr__(self, "scale_shots", tuple(weights[i] for i in order))
        if self.shots < 1 or self.calibration_shots < 1 or self.twirls < 1:
            raise ValueError("shots, calibration_shots and twirls must be >= 1")

    @property
    def techniques(self) -> tuple[str, ...]:
        """Names of the techniques switched on, in registry order."""
        return tuple(name for name in TECHNIQUES if getattr(self, name))

    @property
    def label(self) -> str:
        """``readout+zne``-style name of the switches that are on (``none`` for none)."""
        return "+".join(self.techniques) or "none"

    @property
    def scales(self) -> tuple[float, ...]:
        """The noise scales run: the scale factors with ZNE, else 1 alone."""
        return self.scale_factors if self.zne else (1.0,)

    def shots_per_scale(self) -> tuple[int, ...]:
        """Shots of each scale: ``shots`` without ZNE; with it, ``shots`` x scales split by
        ``scale_shots`` (each at least 1)."""
        if not self.zne:
            return (self.shots,)
        total, weights = self.shots * len(self.scale_factors), self.scale_shots
        return tuple(max(1, round(total * w / sum(weights))) for w in weights)
