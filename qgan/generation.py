"""Transitional: ``qgan.models.sampling`` under its old name, for ``qgan/hardware/generator.py``.

Issue 16 owns ``qgan/hardware/``; once it imports ``qgan.models.sampling``, delete this file.
"""

from qgan.models.sampling import draw_noise, load_generator

__all__ = ["draw_noise", "load_generator"]
