"""Evaluation of trained GANs: derm feature network, real-data statistics, samplers, reports.

``qgan.evaluate`` (the CLI) drives :func:`qgan.evaluation.pipeline.evaluate`; the metrics
themselves are pure functions in :mod:`qgan.metrics` and the feature networks are in
:mod:`qgan.features`.
"""
