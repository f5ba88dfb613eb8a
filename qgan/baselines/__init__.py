"""The paper's baselines, trained and sampled by the same CLIs as HybridQ (``--model``).

* ``dcgan``: DCGAN (Radford et al. 2016) at 64x64x3, 6.3M parameters (HybridQ Sec. 4.1).
* ``mosaiq``: MosaiQ (Silver et al., ICCV 2023) scaled to 10 sub-generators x 10 qubits on the
  100 leading principal components of the class's images (``pca``).
"""
