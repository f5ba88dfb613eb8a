"""``python -m qgan.hardware_infer``: a trained HybridQ generator's images from a quantum backend.

    python -m qgan.hardware_infer --backend ibm_brisbane --shots 4096 \
        --checkpoint runs/hybridq-isic2019-MEL
    python -m qgan.hardware_infer --backend fake_brisbane --n 1000 --zne

``ibm_<device>`` runs on IBM Quantum (credentials from a saved account or QISKIT_IBM_TOKEN);
``fake_<device>`` simulates the device's noise locally. Job ids are saved as they are submitted
(``<out>/jobs.jsonl``): running the same command again collects them instead of paying twice.
Writes PNGs, samples.npz, report.json and report.md to ``--out``.
"""

from __future__ import annotations

import argparse
import sys

from qgan.config import add_arguments, from_arguments
from qgan.hardware.errors import HardwareError


def parse(argv: list[str]):
    from qgan.hardware.config import HardwareConfig

    if any(a == "--mitigation" or a.startswith("--mitigation=") for a in argv):
        raise ValueError(
            "--mitigation is gone: each technique is a switch of its own: --readout "
            "(on by default; --no-readout), --zne, --dd, --twirling"
        )
    parser = argparse.ArgumentParser(
        prog="python -m qgan.hardware_infer",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, HardwareConfig)
    return from_arguments(parser.parse_args(argv), HardwareConfig)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        cfg = parse(argv)  # --help and bad flags answer before torch and the Runtime load
        from qgan.hardware.run import hardware_infer

        hardware_infer(cfg)
    except (ValueError, FileNotFoundError, OSError, HardwareError) as exc:
        raise SystemExit(f"error: {exc}") from None  # BackendError, LayoutError are ValueErrors


if __name__ == "__main__":
    main()
