"""One typed config object per command: the single place for a setting's default, type,
range and help.

A command's config is a dataclass whose fields are made with ``setting(...)``. From it:

- the CLI options (``cli_parameters``: flags, help, ``min``/``max``, required or not);
- a config from CLI values (``from_cli``: comma lists split, files read) and from a YAML
  mapping (``from_yaml``: keys are the long flags without dashes, unknown keys refused
  with "did you mean");
- ``validate``: every number against its declared type and range, every name against
  its declared choices, naming the CLI option or ``FILE: key``.

The Python API builds the same dataclass directly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import MISSING, Field, field, fields
from pathlib import Path
from typing import Any, Optional

from nas_surrogate.errors import BadInputError

DATA_DIR_HELP = (
    "Folder with the NAS-Bench-Suite-Zero files (else $NAS_SURROGATE_DATA, else the "
    "embedded demo data)."
)


def setting(
    default: Any = MISSING,
    help: str = "",
    *,
    flags: tuple[str, ...] = (),
    cli_type: Any = None,
    low: float | None = None,
    high: float | None = None,
    from_cli: Callable[[Any], Any] | None = None,
    from_yaml: Callable[[Any, str], Any] | None = None,
    default_factory: Callable[[], Any] | None = None,
    hidden: bool = False,
    yaml_key: str | None = None,
    convert_none: bool = False,
    argument: bool = False,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A config field. ``flags``: CLI flags, the long one first (default ``--name``);
    ``cli_type``: what the CLI parses (default: the default's type); ``from_cli`` /
    ``from_yaml``: converters into the field's value; ``hidden``: API-only; ``yaml_key``:
    the YAML key when it is not the long flag (a file option vs an inline mapping);
    ``convert_none``: run ``from_cli`` on an absent value too (the data dir's fallbacks);
    ``argument``: a positional CLI argument rather than an option; ``choices``: the
    values a string setting may take (checked by ``validate``, listed in the help)."""
    meta = {
        "help": help, "flags": flags, "cli_type": cli_type, "low": low, "high": high,
        "from_cli": from_cli, "from_yaml": from_yaml, "hidden": hidden, "yaml_key": yaml_key,
        "convert_none": convert_none, "argument": argument, "choices": choices,
    }  # fmt: skip
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def _flags(f: Field) -> tuple[str, ...]:
    return f.metadata.get("flags") or (f"--{f.name.replace('_', '-')}",)


def key(f: Field) -> str:
    """The YAML key of a field: its long CLI flag without dashes (or its ``yaml_key``)."""
    flag = _flags(f)[0].split("/")[0]  # "--on/--off" switches: the "on" name
    return f.metadata.get("yaml_key") or flag.lstrip("-").replace("-", "_")


def in_yaml_terms(error: Any, cls: type, source: str) -> Any:
    """``error`` (a BadInputError) as a config file's user reads it: a message that
    names a CLI flag (``--objectives 'x'``) names ``FILE: key`` instead, since the run
    came from that file, not from the flag."""
    head, _, rest = str(error.where).partition(" ")
    for f in fields(cls):
        if "flags" in f.metadata and head in _flags(f):
            return type(error)(f"{source}: {key(f)}" + (f" {rest}" if rest else ""), error.why)
    return error


def default_of(f: Field) -> Any:
    """A field's default value (its factory called), or ``MISSING`` for a required one."""
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return MISSING


def _settings(cls: type) -> list[Field]:
    return [f for f in fields(cls) if "flags" in f.metadata and not f.metadata["hidden"]]


def cli_parameters(cls: type) -> list[inspect.Parameter]:
    """Typer parameters for every setting of ``cls`` (keyword-only, in field order)."""
    import typer

    params = []
    for f in _settings(cls):
        meta, default = f.metadata, default_of(f)
        required = default is MISSING
        kind = meta["cli_type"] or (str if required else type(default))
        cli_default = default if isinstance(default, (str, int, float)) else None
        if isinstance(default, list) and default and all(isinstance(v, str) for v in default):
            cli_default = ",".join(default)
        help = meta["help"]
        if meta["choices"]:
            help += f" One of: {', '.join(meta['choices'])}."
        if meta["argument"]:
            option = typer.Argument(... if required else cli_default, help=help)
        else:
            option = typer.Option(
                ... if required else cli_default, *_flags(f), help=help,
                min=meta["low"], max=meta["high"],
                show_default=not required and cli_default not in (None, ""),
            )  # fmt: skip
        keyword = inspect.Parameter.KEYWORD_ONLY
        params.append(inspect.Parameter(f.name, keyword, default=option, annotation=kind))
    return params


def from_cli(cls: type, values: dict[str, Any], **extra: Any) -> Any:
    """``cls`` from parsed CLI values (``None``: the field's default)."""
    kwargs = dict(extra)
    for f in _settings(cls):
        value = values.get(f.name)
        convert = f.metadata["from_cli"]
        if value is None and not f.metadata["convert_none"]:
            continue
        kwargs[f.name] = convert(value) if convert else value
    return cls(**kwargs)


def from_yaml(cls: type, doc: dict[str, Any], where: str, **extra: Any) -> Any:
    """``cls`` from a YAML mapping (already without ``command`` and the CLI-only keys)."""
    from nas_surrogate.config import check_known

    by_key = {key(f): f for f in _settings(cls)}
    check_known(doc, set(by_key), where)
    kwargs = dict(extra)
    for k, value in doc.items():
        f = by_key[k]
        if value is None:
            continue
        convert = f.metadata["from_yaml"]
        kwargs[f.name] = convert(value, f"{where}: {k}") if convert else value
    for k, f in by_key.items():
        if default_of(f) is MISSING and f.name not in kwargs:
            raise BadInputError(f"{where}: {k}", "missing")
    return cls(**kwargs)


def _kind(f: Field) -> type | None:
    """The scalar type a setting holds: its CLI type (``Optional`` unwrapped) if that is
    int, float or bool, else its default's type; None for lists, maps, paths."""
    import typing

    kind = f.metadata["cli_type"]
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    kind = args[0] if args else kind
    if kind is None:
        kind = type(default_of(f))
    return kind if kind in (bool, int, float, str) else None


def validate(config: Any, source: str | None = None) -> None:
    """BadInputError for a setting of the wrong type or outside its declared range."""
    for f in _settings(type(config)):
        value, meta = getattr(config, f.name), f.metadata
        where = f"{source}: {key(f)}" if source else _flags(f)[0]
        kind = _kind(f)
        if value is None or isinstance(value, (list, dict)) or kind is None:
            continue  # lists and maps are checked by the command (ids, specs, parameters)
        if kind is bool and not isinstance(value, bool):
            raise BadInputError(where, f"expected true or false, got {value!r}")
        if kind is float and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value != value
        ):
            raise BadInputError(where, f"expected a number, got {value!r}")
        if kind is float and value in (float("inf"), float("-inf")):
            raise BadInputError(where, f"expected a finite number, got {value}")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise BadInputError(where, f"expected an integer, got {value!r}")
        if kind is str and not isinstance(value, str):
            raise BadInputError(where, f"expected a string, got {value!r}")
        if meta["choices"] and value not in meta["choices"]:
            raise BadInputError(
                where, f"expected one of {', '.join(meta['choices'])}, got {value!r}"
            )
        if meta["low"] is not None and value < meta["low"]:
            raise BadInputError(where, f"must be >= {meta['low']}, got {value}")
        if meta["high"] is not None and value > meta["high"]:
            raise BadInputError(where, f"must be <= {meta['high']}, got {value}")


# -- converters shared by the commands -----------------------------------------------------
def comma_list(value: Any) -> list[str]:
    """A comma-separated CLI value split into items (a list passes through)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def yaml_list(value: Any, where: str) -> list[str]:
    """A YAML value or list of values, as strings."""
    from nas_surrogate.config import as_list

    return [str(v) for v in as_list(value, where)]


def yaml_int_list(value: Any, where: str) -> list[int]:
    from nas_surrogate.config import as_list

    values = as_list(value, where)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise BadInputError(where, f"expected integers, got {value!r}")
    return values


def int_list(text: Any, where: str) -> list[int]:
    if isinstance(text, list):
        return text
    try:
        return [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise BadInputError(where, f"expected integers separated by commas, got {text!r}") from None


def spec_list(value: Any) -> list[str]:
    """Feature specs: ``;``-separated on the CLI (a spec holds commas), a YAML list."""
    from nas_surrogate.encodings import split_feature_list

    return [str(v) for v in value] if isinstance(value, list) else split_feature_list(value)


def yaml_specs(value: Any, where: str) -> list[str]:
    return spec_list(yaml_list(value, where)) if isinstance(value, list) else spec_list(value)


def resolved_data_dir(value: Any, where: str = "--data-dir") -> str | None:
    """The data dir every command hands on: checked, absolute, or None for the demo."""
    from nas_surrogate.benchmarks import resolve_data_dir

    resolved = resolve_data_dir(value)
    return None if resolved is None else str(resolved)


def absolute_path(value: Any, where: str = "") -> str:
    return str(Path(value).resolve())


def named_params(path: Any, kind: str) -> dict[str, dict]:
    """{name: {param: value}} from a YAML file, or tune's ``best_params.yaml`` ({kind,
    params})."""
    from nas_surrogate.config import load_yaml

    doc = load_yaml(Path(path))
    if kind in doc and "params" in doc:  # one tuned surrogate / searcher
        doc = {str(doc[kind]): doc["params"]}
    for name, params in doc.items():
        if not isinstance(params, dict):
            raise BadInputError(f"{path}: {name}", "expected a mapping of parameter: value")
    return {name: dict(params) for name, params in doc.items()}


def nested_params(value: Any, where: str) -> dict[str, dict]:
    """A YAML {name: {param: value}} mapping written inline."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise BadInputError(where, "expected {name: {param: value}}")
    return {str(k): dict(v) for k, v in value.items()}


# -- settings shared by several commands ---------------------------------------------------
def data_dir_setting() -> Any:
    """``--data-dir`` / ``data_dir``: resolved once (flag, else $NAS_SURROGATE_DATA, else
    None: the embedded demo data)."""
    return setting(
        None, DATA_DIR_HELP, cli_type=Optional[Path], from_cli=resolved_data_dir,  # noqa: UP045
        from_yaml=resolved_data_dir, convert_none=True,
    )  # fmt: skip


def params_setting(kind: str) -> Any:
    """``--{kind}-config FILE`` on the CLI, ``{kind}_params`` inline in YAML."""
    return setting(
        help=f"YAML {{{kind}: {{param: value}}}}", flags=(f"--{kind}-config",),
        cli_type=Optional[Path], from_cli=lambda p: named_params(p, kind),  # noqa: UP045
        from_yaml=nested_params, default_factory=dict, yaml_key=f"{kind}_params",
    )  # fmt: skip


def list_setting(help: str, **kw: Any) -> Any:
    """A list of names: a comma list on the CLI, a YAML list (or one value) in a config."""
    return setting(help=help, cli_type=str, from_cli=comma_list, from_yaml=yaml_list, **kw)


def file_setting(help: str) -> Any:
    """An optional input file, stored as an absolute path (fingerprinted by content)."""
    return setting(
        None, help, cli_type=Optional[Path], from_cli=absolute_path,  # noqa: UP045
        from_yaml=absolute_path,
    )  # fmt: skip
