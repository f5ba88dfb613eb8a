"""Hardware inference: a trained HybridQ generator's circuit on IBM hardware or a fake backend.

``python -m qgan.hardware_infer`` (``qgan/hardware_infer.py``) parses its flags into a
``HardwareConfig`` and calls ``qgan.hardware.run.hardware_infer``. The parts:

* ``config``: ``HardwareConfig``, the flags.
* ``generator``: a HybridQ checkpoint split at the quantum layer (noise, exact <Z>, decoding).
* ``plan``: hardware.json, what a run depends on; a rerun continues only the same plan.
* ``jobs``: the job ledger (jobs.jsonl) and finished chunks, so nothing is paid for twice.
* ``local`` / ``runtime``: chunks on a local noisy simulation or as IBM Runtime jobs.
* ``quality``: agreement with the simulator; FID/KID/SSIM against the real test images.
* ``outputs`` / ``report``: PNGs, samples.npz, report.json and report.md.
* ``cost``: circuits, shots and QPU time of a run, printed before anything is submitted.
* ``table``: ``python -m qgan.hardware.table hardware/*/report.json``, the Section 4.4 table.
"""
