"""Adaptive input noise for the quantum generator: the MosaiQ rule.

MosaiQ (Silver et al., ICCV 2023) feeds each sub-generator noise angles drawn from U[0, b) and
widens the bound b when the generator starts to win, to fight intra-class mode collapse; HybridQ
(Jiao et al., Sec. 3.1) adopts it. The rule, as specified by our tracker:

    after each generator step:  R = loss_D / loss_G,   R0 = R after the first step,
    b = pi/8 + (5 pi/8) * relu(tanh(R - R0)),   so b in [pi/8, 3 pi/4), b = pi/8 at the start.

``AdaptiveNoise`` holds (b, R0), samples with a caller's ``torch.Generator`` and goes into a
checkpoint through ``state_dict()``.
"""

from __future__ import annotations

import math

import torch

B_MIN = math.pi / 8  # the initial bound, and the bound while the generator is not winning
B_SPAN = 5 * math.pi / 8  # how far the bound can widen: b < pi/8 + 5 pi/8 = 3 pi/4


def noise_bound(ratio: float, ratio0: float) -> float:
    """The MosaiQ noise bound b = pi/8 + (5 pi/8) * relu(tanh(R - R0)).

    R = loss_D / loss_G is the current loss ratio, R0 the one after the first generator step.
    A ratio above its starting value (the discriminator losing ground) widens the noise, up to
    3 pi/4 as R - R0 -> inf; a ratio at or below it keeps b = pi/8.

    Args:
        ratio: R; ``math.inf`` is allowed (loss_G == 0) and gives 3 pi/4.
        ratio0: R0, finite.

    Returns:
        b in [pi/8, 3 pi/4].
    """
    return B_MIN + B_SPAN * max(0.0, math.tanh(ratio - ratio0))


def loss_ratio(loss_d: float, loss_g: float) -> float:
    """R = loss_D / loss_G for non-negative losses; NaN when it has no value.

    loss_G == 0 (the generator fools the discriminator completely) gives R = +inf, the limit of
    R as loss_G -> 0+, instead of a ZeroDivisionError; with loss_D == 0 as well, 0/0 has no
    limit and R is NaN, which ``AdaptiveNoise.update`` skips.
    """
    if loss_g > 0:
        return loss_d / loss_g
    return math.inf if loss_d > 0 else math.nan


class AdaptiveNoise:
    """Noise angles U[0, b) whose bound b follows the MosaiQ rule (see the module docstring).

    Args:
        bound: Initial b; pi/8 as in MosaiQ.
    """

    def __init__(self, bound: float = B_MIN) -> None:
        if not bound > 0:
            raise ValueError(f"bound must be > 0, got {bound}")
        self._bound = float(bound)
        self._ratio0: float | None = None  # R0, set by the first generator step with a finite R

    @property
    def bound(self) -> float:
        """The current upper bound b of the noise angles."""
        return self._bound

    @property
    def ratio0(self) -> float | None:
        """R0, the loss ratio after the first generator step; None before it."""
        return self._ratio0

    def sample(
        self, batch: int, dim: int, generator: torch.Generator, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """Noise angles (batch, dim), i.i.d. U[0, b), on ``generator``'s device."""
        u = torch.rand(batch, dim, generator=generator, device=generator.device, dtype=dtype)
        x = u * self._bound
        # torch.rand can return 1.0 for float16/bfloat16 on CUDA (pytorch#96947), and b rounds
        # to the dtype: clamp below b so the interval stays half-open whatever the back end.
        below = torch.nextafter(x.new_tensor(self._bound), x.new_zeros(()))
        return torch.minimum(x, below)

    def update(self, loss_d: float, loss_g: float) -> float:
        """Apply the rule after one generator step; returns the new bound b.

        The first step with a finite ratio sets R0 (and leaves b = pi/8, since R = R0). Steps
        whose ratio is NaN (both losses 0) leave b unchanged; an infinite first ratio is not
        taken as R0, since tanh(R - inf) = -1 would pin b at pi/8 for the rest of training.

        Raises:
            ValueError: a loss is negative or not finite; the ratio rule assumes losses >= 0
                such as the BCE losses of our GANs (a WGAN critic's would make R meaningless).
        """
        loss_d, loss_g = float(loss_d), float(loss_g)
        if not (math.isfinite(loss_d) and math.isfinite(loss_g)) or loss_d < 0 or loss_g < 0:
            raise ValueError(f"losses must be finite and >= 0, got {loss_d=}, {loss_g=}")
        ratio = loss_ratio(loss_d, loss_g)
        if math.isnan(ratio):
            return self._bound
        if self._ratio0 is None:
            if math.isinf(ratio):
                return self._bound
            self._ratio0 = ratio
        self._bound = noise_bound(ratio, self._ratio0)
        return self._bound

    def state_dict(self) -> dict[str, float | None]:
        """{"bound": b, "ratio0": R0 or None}: plain floats, for a checkpoint."""
        return {"bound": self._bound, "ratio0": self._ratio0}

    def load_state_dict(self, state: dict[str, float | None]) -> None:
        """Restore (b, R0) from ``state_dict()``'s output."""
        missing = {"bound", "ratio0"} - set(state)
        if missing:
            raise KeyError(f"noise state lacks {sorted(missing)}")
        if not state["bound"] > 0:
            raise ValueError(f"bound must be > 0, got {state['bound']}")
        self._bound = float(state["bound"])
        ratio0 = state["ratio0"]
        self._ratio0 = None if ratio0 is None else float(ratio0)

    def __repr__(self) -> str:
        return f"AdaptiveNoise(bound={self._bound:.6g}, ratio0={self._ratio0})"
