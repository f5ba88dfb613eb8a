"""Classifier experiments with generated images: do the GANs make better classifiers?

Two experiments, both run by ``python -m qgan.augment``:

* ``lesions``: HybridQ (Jiao et al.) Sec. 4.3, Table 2 and Fig. 4b. A ResNet-50 (or ResNet-18 /
  a small CNN on this CPU) trained on 10% of the real training split plus a share alpha of
  generated images, swept; references without augmentation and with classical augmentation.
* ``digits``: QGAN-based data augmentation for hybrid quantum-classical neural networks
  (arXiv:2505.24780). An HQCNN on MNIST 0/1/2 with 100 training images per class, augmented by
  rotation, by DCGAN or QGAN images (general strategy), or by QGAN images chosen by the
  classifier's own errors (customized strategy).

Modules, one concept each: ``config`` (frozen run configs), ``sources`` (where generated images
come from), ``mixing`` (real subsets and mixing shares), ``transforms`` (classical augmentation),
``classifiers`` (ResNets, small CNN), ``hqcnn`` (the hybrid classifier), ``fit`` (training loop),
``scores`` (metrics), ``strategies`` (general / customized allocation and filter), ``cells``
(resumable result cells), ``tables`` (Markdown/CSV/plot), ``lesions`` and ``digits`` (the two
experiments).
"""
