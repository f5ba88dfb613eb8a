"""The generative models and the game they play: HybridQ, DCGAN, MosaiQ, one interface.

* ``gan``: ``GANModel``, what the trainer runs of any model, its noise sources; ``gan_class``
  finds a model's class from its ``qgan.registry`` entry.
* HybridQ (Jiao et al.): ``hybridq`` wires ``networks`` (encoder, DCGAN discriminator, the hybrid
  generator), ``quantum`` (the 10 x 10-qubit generator as an ``EstimatorQNN`` +
  ``TorchConnector`` layer), ``priors`` (it, or a classical stand-in), ``decoders`` and
  ``losses`` (its latent-match objective).
* Baselines: ``dcgan`` (Radford et al.), ``mosaiq`` (Silver et al.) on ``pca``.
* The game: ``objectives`` (BCE, DiffAugment, adaptive augmentation), ``diffaugment``,
  ``noise`` (the adaptive noise bound of MosaiQ).
* ``sampling``: a checkpoint's generator and its images (``python -m qgan.sample``).
"""

from circuits.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ModelConfig": "config",
        "QuantumConfig": "config",
        "HybridQGenerator": "networks",
        "build_generator": "networks",
        "GANModel": "gan",
        "gan_class": "gan",
        "load_generator": "sampling",
        "sample_images": "sampling",
    },
)
