"""Evaluation of trained GANs: feature networks, real-data statistics, scoring, samplers, the
real-vs-real floor and the reports.

``qgan.evaluate`` (the CLI) drives :func:`qgan.evaluation.pipeline.evaluate`; the metrics
themselves are pure functions in :mod:`qgan.evaluation.metrics` and the feature networks are in
:mod:`qgan.evaluation.features` and :mod:`qgan.evaluation.inception`.
"""
