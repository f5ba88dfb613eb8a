"""From logical circuits to a backend: layout, routing, mitigation.

* ``backends``: ``get_backend("fake_brisbane" | "ibm_brisbane" | ...)``, ``generic_heavy_hex``.
* ``fidelity``: a backend's error data; estimated fidelity of a transpiled circuit.
* ``line_score``, ``layout``: ``find_lines``, disjoint qubit lines for the sub-generators,
  scored by the backend's own error rates and packed exactly.
* ``passes``: ``transpile_generator``, the seeded no-SWAP pass manager and its per-circuit reports.

Nothing here imports ``qgan`` (imports flow circuits <- transpile <- qgan).
"""
