"""From logical circuits to a backend: layout, routing, mitigation.

* ``backends``: ``get_backend("fake_brisbane" | "ibm_brisbane" | ...)``, ``generic_heavy_hex``.
* ``fidelity``: a backend's error data; estimated fidelity of a transpiled circuit.
* ``line_score``, ``layout``: ``find_lines``, disjoint qubit lines for the sub-generators,
  scored by the backend's own error rates and packed exactly.
* ``passes``: ``transpile_generator``, the seeded no-SWAP pass manager and its per-circuit reports.
* ``mitigation``: ``run_mitigation`` / ``mitigated_expectations`` with a ``MitigationConfig``
  (``mitigation_config``: readout, zne, dd and twirling as independent switches, and the
  ``TECHNIQUES`` registry) on a local noisy copy of a backend (``readout``, ``zne``,
  ``suppression``); ``runtime_mitigation`` maps it to IBM Runtime.
* ``noisy``, ``ptm``, ``ptm_sampler``, ``device_noise``: the local noisy simulation, one qubit
  group at a time, on our batched Pauli-transfer-matrix engine (``PTMSampler``) or Aer.

Nothing here imports ``qgan`` (imports flow circuits <- transpile <- qgan). The entry points
are importable from here (``from transpile import find_lines, run_mitigation``).
"""

from circuits.lazy import lazy_exports

# public name -> its module in this package
_EXPORTS = {
    "BackendError": "backends",
    "get_backend": "backends",
    "fake_backend": "backends",
    "generic_heavy_hex": "backends",
    "LayoutError": "layout",
    "LineLayout": "layout",
    "find_lines": "layout",
    "score_lines": "layout",
    "TranspiledGenerator": "passes",
    "pass_manager": "passes",
    "run_pass_manager": "passes",
    "transpile_generator": "passes",
    "TECHNIQUES": "mitigation_config",
    "MitigationConfig": "mitigation_config",
    "MitigationResult": "mitigation",
    "mitigated_expectations": "mitigation",
    "run_mitigation": "mitigation",
    "EXTRAPOLATORS": "zne",
    "pooled_extrapolate": "zne",
    "PTMSampler": "ptm_sampler",
    "DD_SEQUENCES": "suppression",
    "runtime_estimator": "runtime_mitigation",
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
