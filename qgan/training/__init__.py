"""Training runs: the loop every model trains in, its config, resuming, old run files.

* ``config``: ``TrainConfig``, the flags of ``python -m qgan.train`` (imports nothing heavy).
* ``run``: ``train(cfg)`` and ``--resume``: run folders, the lesion split, what may change.
* ``trainer``: ``Trainer``, one run of one class: steps, epochs, checkpoints, Ctrl-C.
* ``convert``: the one converter of pre-format-2 files (``python -m qgan.convert``).
"""
