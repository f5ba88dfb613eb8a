"""The models' configs and the names each choice may take: plain dataclasses, no torch.

``ModelConfig`` (HybridQ), ``QuantumConfig`` (the quantum generator of HybridQ and MosaiQ: its
circuit, simulator and engine device) and ``SampleConfig`` (``python -m qgan.sample``) live here
so that the commands' flags read them, and check them, without loading the models. Checkpoints
store a model config as a dict (``qgan.checkpoint.config_from_dict`` reads it back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qgan.config import check_at_least, check_choice, opt

SIMULATORS = ("fast", "aer", "aer-gpu", "reference")  # the quantum layer's (qgan.models.quantum)
DTYPES = ("float64", "float32")  # the fast engine's arithmetic
DEVICES = ("cpu", "cuda")  # the fast engine's torch device ("cuda:1": a given GPU)
DECODERS = ("conv", "paper")  # HybridQ's post-processing (qgan.models.decoders)
PRIORS = ("quantum", "mlp", "none")  # what turns noise into latents (qgan.models.priors)
WIRINGS = ("latent-match", "decoder-only")  # how the encoder trains (qgan.models.networks)
DECODER_BIAS_INITS = ("zero", "data-mean")  # the decoder's output bias at the start
IMAGE_SIZE = 64  # HybridQ resizes every image to 64x64 (digits: 28x28, see ``dcgan_sides``)
# Fields added after checkpoints existed, with the value every earlier checkpoint had: a saved
# config without them is read with these, not with today's defaults.
LEGACY_VALUES = {"decoder": "paper", "prior": "quantum", "decoder_width": 16}


@dataclass(frozen=True)
class QuantumConfig:
    """The quantum generator: ``n_sub`` disjoint sub-generators, and where it is simulated."""

    n_sub: int = 10  # sub-generators (disjoint qubit blocks)
    n_qubits: int = 10  # qubits per sub-generator
    n_layers: int = 6  # [RY on every qubit + CNOT chain] repetitions
    kind: str = "hybridq"  # sub-generator ansatz: hybridq | mosaiq
    sim: str = "fast"  # SIMULATORS
    dtype: str = "float64"  # fast engine arithmetic: DTYPES
    device: str = "cpu"  # fast engine torch device: DEVICES
    seed: int = 0  # initial weights and simulator seeds

    def __post_init__(self) -> None:
        check_choice("sim", self.sim, SIMULATORS)
        check_choice("dtype", self.dtype, DTYPES)
        check_choice("device", self.device.split(":")[0], DEVICES)


def quantum_config(cfg, kind: str = "hybridq") -> QuantumConfig:
    """The ``QuantumConfig`` of a run config (``TrainConfig``): its depth, simulator, engine
    dtype and device and seed, for sub-generators of ``kind``; the one mapping every model
    uses."""
    return QuantumConfig(
        n_layers=cfg.n_layers,
        kind=kind,
        sim=cfg.sim,
        dtype=cfg.dtype,
        device=cfg.device,
        seed=cfg.seed,
    )


def dcgan_sides(image_size: int) -> list[int]:
    """Sides a DCGAN halves an ``image_size`` image through, down to its last feature map.

    Stride-2 4x4 convolutions halve the side while it is even and above 7: 64 -> 32 -> 16 -> 8
    -> 4 (Radford et al.), 32 -> ... -> 4, 28 -> 14 -> 7 (MNIST). The last side is the kernel of
    the discriminator's final convolution and of the generator's first one. ValueError for a
    size that cannot be halved at least once or does not end at 7 pixels or fewer.
    """
    sides = [int(image_size)]
    while sides[-1] > 7 and sides[-1] % 2 == 0:
        sides.append(sides[-1] // 2)
    if len(sides) < 2 or sides[-1] > 7:
        raise ValueError(
            f"image size {image_size} does not halve down to 7 pixels or fewer; use a size "
            f"s * 2^k with s <= 7 and k >= 1 (--image-size 64, 32 or 28)"
        )
    return sides


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and wiring of the HybridQ model.

    With the defaults (conv decoder): encoder 102,596, quantum 600, decoder 450,195,
    discriminator 2,765,568 parameters, 3,318,959 in all. With ``decoder="paper"`` the decoder
    has 827,449 and the model 3,696,213: the paper's "3.7M". The paper's DCGAN "6.3M" is
    generator (3,576,704) plus discriminator (2,765,568), so its counts include the
    discriminator, and HybridQ's generator side is ~0.93M.
    """

    latent_dim: int = 100  # 10 sub-generators x 10 qubits, one <Z> each; = quantum in/out width
    image_channels: int = 3  # RGB skin-lesion images
    image_size: int = IMAGE_SIZE  # pixels a side; any size ``dcgan_sides`` accepts (28 for digits)
    encoder_channels: int = 4  # filters of the 4x4 pre-processing convolution
    encoder_stride: int = 4  # 4x4 patches without overlap: (B, 4, 16, 16) -> 1024 features
    decoder: str = "conv"  # DECODERS (``qgan.models.decoders``)
    decoder_width: int = 16  # conv decoder: channels at full size (16: 450,195 parameters)
    decoder_channels: int = 2  # paper decoder: C of the fc output (B, C, 64, 64); 3.7M in all
    prior: str = "quantum"  # PRIORS (``qgan.models.priors``)
    ndf: int = 64  # DCGAN discriminator width (Radford et al.)
    encoder_wiring: str = "latent-match"  # WIRINGS (``qgan.models.networks``)
    latent_weight: float = 1.0  # lambda_lat on MMD^2(quantum latents, encoded real latents)
    covariance_weight: float = 0.0  # lambda_cov: first two moments matched too (an ablation)
    latent_two_sided: bool = False  # the latent term moves the encoder too (an ablation)
    reconstruction_weight: float = 1.0  # lambda_rec on the autoencoder's MSE
    mmd_bandwidths: tuple[float, ...] = (0.1, 0.2, 0.5, 1.0, 2.0)  # RBF widths per coordinate
    latent_norm: bool = True  # standardize quantum and encoder latents (qgan.models.networks)
    decoder_adversarial_weight: float = 1.0  # latent-match: decoder's share of L_adv's gradient
    decoder_bias_init: str = "zero"  # DECODER_BIAS_INITS (``init_output_bias``; train default)
    seed: int = 0  # initial classical weights; the quantum ones use quantum.seed
    quantum: QuantumConfig = field(default_factory=QuantumConfig)  # 10 x 10 qubits, 6 layers

    def __post_init__(self) -> None:
        check_choice("encoder_wiring", self.encoder_wiring, WIRINGS)
        check_choice("decoder", self.decoder, DECODERS)
        check_choice("prior", self.prior, PRIORS)
        check_choice("decoder_bias_init", self.decoder_bias_init, DECODER_BIAS_INITS)
        dcgan_sides(self.image_size)  # ValueError for a size the discriminator cannot take
        width = self.quantum.n_sub * self.quantum.n_qubits
        if width != self.latent_dim:
            raise ValueError(
                f"latent_dim {self.latent_dim} must equal the quantum generator's width "
                f"n_sub * n_qubits = {width}"
            )

    @property
    def uses_encoder(self) -> bool:
        """Whether the wiring builds and trains the encoder."""
        return self.encoder_wiring == "latent-match"

    @classmethod
    def legacy_values(cls, data: dict) -> dict:
        """Values of fields a saved config predates (``LEGACY_VALUES``): what its run had."""
        return LEGACY_VALUES


@dataclass(frozen=True)
class SampleConfig:
    """What ``python -m qgan.sample`` draws: ``n`` images of a checkpoint's generator."""

    checkpoint: str = opt("", "last.pt, an epochNNN.pt snapshot or a run folder", required=True)
    n: int = opt(1000, "number of images")
    out: str = opt("", "output folder", required=True)
    seed: int = opt(0, "seed of the noise")
    batch_size: int = opt(64, "images per generator call")
    sim: str = opt("", f"quantum simulator: {' | '.join(SIMULATORS)}; empty: the checkpoint's")
    device: str = opt("cpu", f"torch device of the fast simulator: {' | '.join(DEVICES)}")

    def __post_init__(self) -> None:
        check_at_least(self, {"n": 1, "batch_size": 1})
        QuantumConfig(sim=self.sim or "fast", device=self.device)  # it checks the names
