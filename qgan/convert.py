"""``python -m qgan.convert``: rewrite qgan files of the old format as plain data, in place.

UNPICKLES ITS INPUT: reading a file of the old format runs any code the file carries, so convert
only files you trust (your own runs, a colleague's you would run anyway). It is the only code in
qgan that unpickles; everything else reads with ``weights_only=True`` and refuses these files.

    python -m qgan.convert runs/hybridq-isic2019-MEL           # last.pt and every epochNNN.pt
    python -m qgan.convert old/last.pt --out new/last.pt

Checkpoints (``last.pt``, ``epochNNN.pt``) written before format 2 held the model config as a
pickled class and numpy's RNG state as an array; they get the config as a dict, the RNG states
as tensors and ``format: 2``. Derm feature-network files get any non-plain value made plain. The
result is checked (read back as plain data, its configs rebuilt) before it replaces anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qgan.config import command, one_line_errors


def main(argv: list[str] | None = None) -> None:
    parser = command("qgan.convert", __doc__, dry_run=False)
    parser.add_argument("paths", nargs="+", help="checkpoint or derm network files, run folders")
    parser.add_argument("--out", default="", help="output file (one input file only)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from qgan.training.convert import WARNING, convert, files  # torch past --help

    with one_line_errors():
        todo = files(args.paths)
        if args.out and len(todo) != 1:
            raise ValueError(f"--out takes one input file, got {len(todo)}")
        for path in todo:
            print(WARNING.format(path=path), flush=True)
            print(convert(path, Path(args.out) if args.out else None), flush=True)


if __name__ == "__main__":
    main()
