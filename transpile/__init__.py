"""From logical circuits to a backend: layout, routing, mitigation."""
