"""Configs as frozen dataclasses, and every command's flags generated from them.

A field declared with ``opt(default, help)`` is a ``--kebab-case`` flag, typed by its default,
whose help ends with that default. ``command`` builds a command's parser from its config
class; ``run_command`` parses argv into the config and runs the command's work, or with
``--dry-run`` prints the resolved config as JSON instead; ``write_config`` saves it beside a
command's results before work starts; ``one_line_errors`` turns bad input into one line, never a
traceback. Comma lists are plain strings read by ``parse_list``, so every flag keeps a plain
type; ``check_choice`` and ``check_at_least`` are the checks configs share.

This module imports nothing heavy, nor do the config modules that use it, so ``--help``
answers without loading torch or qiskit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path
from typing import Any

DRY_RUN_HELP = "print the resolved config as JSON and exit"


def opt(default: Any, help: str, required: bool = False) -> Any:
    """A config field with its flag's help (``add_arguments`` reads it); ``required``: a flag
    the command cannot run without (its default is a placeholder)."""
    return field(default=default, metadata={"help": help, "required": required})


def flag(name: str) -> str:
    """The flag of field ``name``: ``lr_quantum`` -> ``--lr-quantum``."""
    return "--" + name.replace("_", "-")


def add_arguments(
    parser: argparse.ArgumentParser, config_cls: type, _outer: frozenset = frozenset()
) -> None:
    """One ``--kebab-case`` flag per dataclass field, typed, with its help and default.

    A field that holds a config (a dataclass embedded whole) gives a flag for each of its fields,
    except those the outer config has too (the outer value is the one used). A tuple is a
    comma-separated list; a bool that defaults to True is turned off with ``--no-<flag>``.
    """
    fields = dataclasses.fields(config_cls)
    outer = _outer | {spec.name for spec in fields}
    for spec in fields:
        if spec.name in _outer:
            continue
        default = _default(spec)
        if dataclasses.is_dataclass(default):
            add_arguments(parser, type(default), outer)
            continue
        help_text, required = spec.metadata.get("help", ""), spec.metadata.get("required", False)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        if not required:
            help_text += f" (default: {shown!r})"
        if isinstance(default, bool) and default:
            parser.add_argument(
                flag(spec.name), action=argparse.BooleanOptionalAction, default=True, help=help_text
            )
        elif isinstance(default, bool):
            parser.add_argument(flag(spec.name), action="store_true", help=help_text)
        else:
            kind = str if isinstance(default, tuple) else type(default)
            parser.add_argument(
                flag(spec.name), type=kind, default=shown, help=help_text, required=required
            )


def _default(spec: dataclasses.Field) -> Any:
    """A field's default, made by its factory where it has one (embedded configs)."""
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return spec.default


def from_arguments(args: argparse.Namespace, config_cls: type, _outer: frozenset = frozenset()):
    """``config_cls`` from the parsed flags (its ``__post_init__`` checks them); an embedded
    config is built from its own flags, and comma-separated lists become tuples.

    Raises:
        ValueError: A list flag with an item of the wrong kind (one line).
    """
    fields = dataclasses.fields(config_cls)
    outer = _outer | {spec.name for spec in fields}
    values = {}
    for spec in fields:
        if spec.name in _outer:
            continue  # the outer config's value is passed down by the outer config
        default = _default(spec)
        if dataclasses.is_dataclass(default):
            values[spec.name] = from_arguments(args, type(default), outer)
            continue
        value = getattr(args, spec.name)
        if isinstance(default, tuple) and isinstance(value, str):
            value = parse_list(value, type(default[0]) if default else str, flag(spec.name))
        values[spec.name] = value
    return config_cls(**values)


def command(
    prog: str, doc: str, config_cls: type | None = None, dry_run: bool = True
) -> argparse.ArgumentParser:
    """The parser of ``python -m <prog>``: its description is the first paragraph of ``doc`` (the
    command module's docstring), the rest its epilog; a flag per field of ``config_cls``, and
    ``--dry-run`` unless the command has none."""
    first, _, rest = doc.strip().partition("\n\n")
    parser = argparse.ArgumentParser(
        prog=f"python -m {prog}",
        description=first,
        epilog=rest or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if config_cls is not None:
        add_arguments(parser, config_cls)
    if dry_run:
        add_dry_run(parser)
    return parser


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    """``--dry-run``: the command prints its resolved config (``dry_run``) instead of running."""
    parser.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)


def parse(parser: argparse.ArgumentParser, config_cls: type, argv: list[str] | None):
    """(config, parsed flags) of ``argv``: a ValueError where the config refuses its values
    (inside ``one_line_errors``, one line)."""
    args = parser.parse_args(argv)
    return from_arguments(args, config_cls), args


def run_command(
    parser: argparse.ArgumentParser,
    config_cls: type,
    argv: list[str] | None,
    work: Callable[[Any, argparse.Namespace], str | None],
    *errors: type[BaseException],
) -> None:
    """A command's whole run: ``argv`` parsed into ``config_cls``; with ``--dry-run`` its resolved
    config printed, else ``work(cfg, flags)`` called and the line it returns printed. Bad input
    (and ``errors``) leaves in one line (``one_line_errors``)."""
    with one_line_errors(*errors):
        cfg, args = parse(parser, config_cls, argv)
        if getattr(args, "dry_run", False):
            return dry_run(cfg)
        said = work(cfg, args)
    if said:
        print(said)


def typed_flags(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The fields whose flags ``argv`` types (abbreviated or ``--flag=value`` alike), as opposed
    to those left at their defaults."""
    unset = object()
    names = {a.dest for a in parser._actions if a.dest not in (argparse.SUPPRESS, "help")}
    # argparse fills in a default only where the namespace lacks the attribute
    args = parser.parse_args(argv, argparse.Namespace(**dict.fromkeys(names, unset)))
    return {name for name in names if getattr(args, name) is not unset}


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """ValueError, one line, unless ``value`` is one of ``allowed``; ``name`` is what the
    message calls the setting (a field, or the flag a user typed)."""
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(allowed)}")


def check_at_least(cfg: Any, least: dict[str, float]) -> None:
    """ValueError naming the flag of the first field of ``cfg`` below its minimum in ``least``."""
    for name, minimum in least.items():
        if getattr(cfg, name) < minimum:
            raise ValueError(f"{flag(name)} must be at least {minimum}")


def to_json(cfg: Any) -> str:
    return json.dumps(dataclasses.asdict(cfg), indent=2)


def dry_run(cfg: Any) -> None:
    """Print ``cfg`` resolved (its ``resolved()``, where it has one) as JSON."""
    print(to_json(cfg.resolved() if hasattr(cfg, "resolved") else cfg))


def write_config(cfg: Any, folder: Path, name: str = "config.json") -> Path:
    """``folder/name``: the resolved config a command runs with, written before the work."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(to_json(cfg) + "\n")
    return path


@contextmanager
def one_line_errors(*kinds: type[BaseException]) -> Iterator[None]:
    """Bad input (``ValueError``, including ``DataError``; a missing file; an OS error; and
    ``kinds``) leaves the command as ``error: <message>``, one line, never a traceback."""
    try:
        yield
    except (ValueError, FileNotFoundError, OSError, *kinds) as exc:
        raise SystemExit(f"error: {exc}") from None


# what a list of each kind is called in an error, and an example of one
_KINDS = {int: ("integers", "0,1,2"), float: ("numbers", "0.1,0.5"), str: ("names", "a,b")}


def parse_list(text: str, kind: type = str, flag: str = "the list") -> tuple:
    """``"a, b,c"`` -> ``("a", "b", "c")`` (empty items dropped), each converted by ``kind``:
    every comma-separated flag of every command is read here.

    Raises:
        ValueError: One line naming ``flag`` and the first item ``kind`` cannot read.
    """
    out = []
    for item in (part.strip() for part in str(text).split(",")):
        if not item:
            continue
        try:
            out.append(kind(item))
        except ValueError:
            name, example = _KINDS.get(kind, (kind.__name__, "a,b"))
            raise ValueError(
                f"{flag} takes comma-separated {name}, e.g. {example}; got {item!r} in {text!r}"
            ) from None
    return tuple(out)
