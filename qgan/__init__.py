"""qgan: a Qiskit-native hybrid classical-quantum GAN for 64x64 skin-lesion images.

It follows HybridQ (Jiao, Zheng, Shi, Liang): a classical pre-processing layer maps real images
to a 100-dimensional latent space; ten quantum sub-generators of ten qubits each (Qiskit
circuits wrapped as ``EstimatorQNN`` and trained through ``TorchConnector``), fed adaptive
noise, generate latent vectors; a classical post-processing layer decodes them into colour
images; a DCGAN-style convolutional discriminator is the adversary. One GAN is trained per
class (ISIC 2019, HAM10000, Fitzpatrick17k). The package also holds the data loaders, the DCGAN
and MosaiQ baselines, FID/KID/SSIM evaluation and the classifier-augmentation experiments.

Imports flow one way: ``circuits`` <- ``transpile`` <- ``qgan`` <- ``benchmarks``. torchvision
and pytorch-fid are imported only through :mod:`qgan.vision`.
"""

__version__ = "0.1.0"
