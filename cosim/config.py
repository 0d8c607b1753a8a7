"""Loading user files: safe YAML/JSON, preset lookup, ``extends`` inheritance, one-line errors.

Every loader in cosim goes through :func:`load_document` and :func:`validate`, so a bad file
always produces a :class:`~cosim.errors.CosimInputError` naming the file, the field and what is
allowed, never a traceback.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic.fields import FieldInfo

from cosim.errors import CosimInputError, UnknownPresetError
from cosim.units import UNIT_EXAMPLES, Dimension, parse_quantity

REPO_ROOT = Path(__file__).resolve().parent.parent
"""Checkout root; preset folders (hw/, workloads/, mappings/, studies/) live here."""

M = TypeVar("M", bound=BaseModel)


def _quantity(dimension: Dimension):
    def convert(value: object) -> float:
        try:
            return parse_quantity(value, dimension)
        except CosimInputError as exc:  # pydantic wants ValueError; keep our message
            raise ValueError(exc.message + (f" (allowed: {exc.allowed})" if exc.allowed else "")) from None

    convert.dimension = dimension  # type: ignore[attr-defined]  # read by StrictModel's document checks
    return BeforeValidator(convert)


_IN_DOCUMENT: ContextVar[bool] = ContextVar("cosim_config_in_document", default=False)
"""True while :func:`validate` checks a document read from a file: plain numbers for unit fields are refused
there only, so code may still build schemas from SI floats (``validate(Model, data)`` without ``file``)."""


def _dimension_in(metadata: Iterable[object]) -> Dimension | None:
    for item in metadata:
        if isinstance(item, BeforeValidator) and hasattr(item.func, "dimension"):
            return item.func.dimension  # type: ignore[union-attr]
    return None


def _unit_shape(annotation: Any, metadata: Iterable[object] = ()) -> tuple[Dimension, bool] | None:
    """(dimension, is a mapping of them) for a unit field or a dict of unit values, else None."""
    found = _dimension_in(metadata)
    if found is not None:
        return found, False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _unit_shape(args[0], args[1:])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return _unit_shape(options[0]) if len(options) == 1 else None
    if origin in (dict, Mapping) and len(args) == 2:
        inner = _unit_shape(args[1])
        return (inner[0], True) if inner is not None and not inner[1] else None
    return None


def _refuse_unitless(name: str, value: Any, dimension: Dimension) -> None:
    """A bare non-zero number for a quantity: ``bf16: 989`` read as 989 FLOP/s is a factor of 10^12 off."""
    if isinstance(value, str):
        try:
            value = float(value.strip())  # "989" is as unitless as 989
        except ValueError:
            return  # a unit string (or garbage): the quantity parser reads or reports it
    if isinstance(value, int | float) and not isinstance(value, bool) and value != 0:
        raise CosimInputError(f"{value!r} has no unit; write it with one", field=name,
                              allowed=f"{dimension.value} units, e.g. {UNIT_EXAMPLES[dimension]}")


Bytes = Annotated[float, _quantity(Dimension.BYTES)]
BytesPerSecond = Annotated[float, _quantity(Dimension.BYTES_PER_S)]
Hertz = Annotated[float, _quantity(Dimension.HERTZ)]
Seconds = Annotated[float, _quantity(Dimension.SECONDS)]
FlopsPerSecond = Annotated[float, _quantity(Dimension.FLOP_PER_S)]
Watts = Annotated[float, _quantity(Dimension.WATTS)]
Joules = Annotated[float, _quantity(Dimension.JOULES)]
TransfersPerSecond = Annotated[float, _quantity(Dimension.TRANSFERS_PER_S)]


def _plain_kind(field: FieldInfo) -> type | None:
    """``int``, ``float`` or ``bool`` when a field holds just that (or None of it), else None.

    Unit fields (``Bytes`` ...) carry their own parser and are left to it."""
    if any(isinstance(m, BeforeValidator) for m in field.metadata):
        return None
    annotation = field.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(options) != 1:
            return None
        annotation = options[0]
    if typing.get_origin(annotation) is Annotated:
        inner, *metadata = typing.get_args(annotation)
        if any(isinstance(m, BeforeValidator) for m in metadata):
            return None
        annotation = inner
    return annotation if annotation in (int, float, bool) else None


class StrictModel(BaseModel):
    """Base of every config schema: unknown fields are errors, values are validated on assignment.

    Numbers and switches are taken as written: pydantic's lax mode reads ``true`` as the integer 1 and
    ``"4096"`` as 4096, which turns a slip in a file into a silently different model. Full strict mode is not
    used because it would also refuse enum names and lists for tuples, which YAML cannot spell otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            shape = _unit_shape(field.annotation, field.metadata) if field is not None else None
            if shape is not None and _IN_DOCUMENT.get():
                dimension, is_mapping = shape
                if is_mapping and isinstance(value, Mapping):
                    for key, item in value.items():
                        _refuse_unitless(f"{name}.{key}", item, dimension)
                elif not is_mapping:
                    _refuse_unitless(name, value, dimension)
            if not isinstance(value, bool | str | int | float):
                continue
            kind = _plain_kind(field) if field is not None else None
            if kind is None:
                continue
            if kind is bool and not isinstance(value, bool):
                raise CosimInputError(f"expected true or false, got {value!r}", field=name, allowed="true, false")
            if kind is not bool and isinstance(value, bool | str):
                what = "an integer" if kind is int else "a number"
                raise CosimInputError(f"expected {what}, got {value!r}", field=name,
                                      allowed=f"{what} written without quotes")
        return data


_RECORDERS: ContextVar[tuple[list[Path], ...]] = ContextVar("cosim_config_recorders", default=())


@contextmanager
def recording_reads() -> Iterator[list[Path]]:
    """Collect the path of every file :func:`load_document` reads inside the block (nested blocks each see
    their reads); caches of loaded presets key on these files' modification times."""
    reads: list[Path] = []
    token = _RECORDERS.set((*_RECORDERS.get(), reads))
    try:
        yield reads
    finally:
        _RECORDERS.reset(token)


MAX_ALIAS_NODES = 100_000
"""Most YAML nodes that aliases (``*name``) may add to a document once expanded: a shipped preset uses none,
and a "billion laughs" document (nine aliases of nine aliases of ...) is refused before anything reads it."""


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses duplicate keys (PyYAML silently keeps the last one) and documents whose
    aliases expand past :data:`MAX_ALIAS_NODES` nodes (validation and error messages walk the expanded value)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *base' merges are overrides by design
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # unhashable key: the base constructor reports it
            if first is not key_node:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                    key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _expanded_nodes(root: yaml.Node) -> int:
    """Nodes of the document with every alias expanded (shared nodes counted each time they are used)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_ALIAS_NODES * 10:
                return sizes[key]
            continue
        if key in sizes:
            continue
        if key in active:
            raise yaml.composer.ComposerError(None, None, "recursive alias", node.start_mark)
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _distinct_nodes(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(_children(node))
    return len(seen)


def _load_yaml(text: str) -> Any:
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if _expanded_nodes(root) - _distinct_nodes(root) > MAX_ALIAS_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*name) expand the document by more than {MAX_ALIAS_NODES:,} nodes", None)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _json_object(pairs: list[tuple[str, Any]], path: Path) -> dict[str, Any]:
    """JSON object hook: a key given twice is an error (json keeps the last one silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CosimInputError(f"invalid JSON: duplicate key {key!r}", file=path, field=key)
        out[key] = value
    return out


def load_document(path: str | Path) -> Any:
    """Read a YAML (safe loader) or JSON file; errors name the file and the line."""
    path = Path(path)
    for reads in _RECORDERS.get():
        reads.append(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CosimInputError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CosimInputError(f"cannot read file: {exc}", file=path) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text, object_pairs_hook=lambda pairs: _json_object(pairs, path))
        except json.JSONDecodeError as exc:
            raise CosimInputError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                                  file=path) from None
    try:
        return _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CosimInputError(f"invalid YAML{where}: {problem}", file=path) from None


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts:
            parts.append(f".{item}")
        else:
            parts.append(str(item))
    return "".join(parts).replace(".[", "[")


def _drop_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic inserts discriminator tags / function names into locations; keep user-visible keys.
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold directly (through Optional, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _containers_in(annotation: Any) -> list[Any]:
    """Element annotations of the lists, tuples and dict values an annotation can hold."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _containers_in(args[0])
    if origin in (typing.Union, types.UnionType):
        return [e for arg in args for e in _containers_in(arg)]
    if origin in (list, tuple, set, frozenset, Sequence):
        return [a for a in args if a is not Ellipsis]
    if origin in (dict, Mapping):
        return args[1:2]
    return []


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (sub)model at ``loc`` (several models' where a union leaves it open)."""
    if model is None:
        return []
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for annotation in current:
            for sub in _models_in(annotation):
                field = sub.model_fields.get(part) if isinstance(part, str) else None
                if field is not None:
                    following.append(field.annotation)
            following.extend(_containers_in(annotation))  # a list index or a dict key
        current = following
    names = {name for annotation in current for sub in _models_in(annotation) for name in sub.model_fields}
    return sorted(names)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), case-insensitive."""
    a, b = a.lower(), b.lower()
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def closest_name(name: str, allowed: Iterable[str]) -> str | None:
    """The allowed name a misspelling most likely meant: fewest edits, then difflib's similarity; None when
    nothing is close (more edits than a third of the name)."""
    best: tuple[int, float, str] | None = None
    for candidate in allowed:
        edits = _edits(name, candidate)
        if edits > max(1, len(name) // 3):
            continue
        key = (edits, -difflib.SequenceMatcher(None, name, candidate).ratio(), candidate)
        best = key if best is None or key < best else best
    return best[2] if best else None


def _did_you_mean(err: Any, errors: list[Any], model: type[BaseModel] | None) -> tuple[str, str | None]:
    """Message and allowed names for an unknown field: the closest allowed name first, then all of them."""
    loc = tuple(err.get("loc", ()))
    name = str(loc[-1]) if loc else ""
    parent = _drop_union_tags(loc[:-1])
    allowed = _fields_at(model, _drop_union_tags(loc[:-1]))
    if not allowed:  # no schema at hand: the required fields missing beside it are the likely targets
        allowed = sorted({str(e["loc"][-1]) for e in errors if e.get("type") == "missing"
                          and _drop_union_tags(tuple(e["loc"][:-1])) == parent})
    close = closest_name(name, allowed)
    message = f"unknown field {name!r}" + (f"; did you mean {close!r}?" if close else "")
    return message, ", ".join(allowed) or None


def pydantic_error(exc: ValidationError, *, file: str | Path | None, field_prefix: str | None = None,
                   model: type[BaseModel] | None = None) -> CosimInputError:
    """Turn the first pydantic error into a one-line CosimInputError.

    An unknown field is reported before anything else: a misspelled name (``bandwith``) also makes the right
    one missing, and "bandwidth: required field is missing" would hide the typo the user has to fix."""
    errors = exc.errors(include_url=False)
    unknown = [e for e in errors if e.get("type") == "extra_forbidden"]
    err = unknown[0] if unknown else errors[0]
    loc = _drop_union_tags(tuple(err.get("loc", ())))
    field = _loc_to_field(loc)
    if field_prefix:
        field = f"{field_prefix}.{field}" if field else field_prefix
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    allowed = None
    ctx = err.get("ctx") or {}
    if err.get("type") == "extra_forbidden":
        msg, allowed = _did_you_mean(err, errors, model)
    elif err.get("type") == "missing":
        msg = "required field is missing"
    elif isinstance(ctx.get("error"), CosimInputError):  # raised by a validator: keep its field and message
        inner = ctx["error"]
        msg, allowed = inner.message, inner.allowed
        if inner.field:
            field = f"{field}.{inner.field}" if field else inner.field
    elif "expected" in ctx:
        allowed = str(ctx["expected"])
    if "input" in err and err.get("type") not in ("missing", "extra_forbidden", "value_error"):
        shown = repr(err["input"])
        if len(shown) > 60:
            shown = shown[:57] + "..."
        msg = f"{msg}, got {shown}"
    more = len(exc.errors()) - 1
    if more > 0:
        msg += f" (and {more} more error{'s' if more > 1 else ''})"
    return CosimInputError(msg, file=file, field=field or None, allowed=allowed)


def validate(model: type[M], data: Any, *, file: str | Path | None = None, field_prefix: str | None = None
             ) -> M:
    """Validate ``data`` against a pydantic ``model``; raise a one-line CosimInputError on failure."""
    if not isinstance(data, Mapping):
        where = field_prefix or None
        raise CosimInputError(f"expected a mapping of fields, got {type(data).__name__}", file=file, field=where)
    token = _IN_DOCUMENT.set(file is not None)  # a file is written by a user; dicts from code carry SI floats
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise pydantic_error(exc, file=file, field_prefix=field_prefix, model=model) from None
    except CosimInputError as exc:
        raise exc.with_context(file=file, field_prefix=field_prefix) from None
    except (ValueError, TypeError) as exc:
        raise CosimInputError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, file=file,
                              field=field_prefix) from None
    finally:
        _IN_DOCUMENT.reset(token)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Recursively merge ``override`` into ``base`` (mappings merge, everything else replaces)."""
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def preset_dir(kind: str) -> Path:
    """Folder holding the shipped presets of one kind: 'hw', 'workloads', 'mappings' or 'studies' (in the
    package, so an installed cosim has them too; see cosim.preset_path)."""
    from cosim.preset_path import shipped_dir

    return shipped_dir(kind)


def list_presets(kind: str) -> list[str]:
    """Preset names of one kind along the search path (--preset-path, $COSIM_PATH, shipped)."""
    from cosim.preset_path import listing

    return list(listing(kind))


def resolve_preset(name_or_path: str | Path, kind: str, *, what: str) -> Path:
    """Map a preset name or a file path to a file; unknown names list the available presets."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml", ".json") or candidate.exists() or "/" in str(name_or_path):
        if not candidate.exists():
            raise CosimInputError(f"{what} file not found", file=candidate)
        return candidate
    from cosim.preset_path import find

    path = find(str(name_or_path), kind)
    if path is not None:
        return path
    raise UnknownPresetError(f"unknown {what} preset {str(name_or_path)!r}", field=what,
                             allowed=list_presets(kind) or "(none shipped)")


def load_with_extends(path: Path, kind: str, *, what: str, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Load a document; if it says ``extends: <preset or file>``, merge it over that base."""
    if path.resolve() in _seen:
        raise CosimInputError("circular 'extends'", file=path, field="extends")
    data = load_document(path)
    if data is None:
        raise CosimInputError("file is empty", file=path)
    if not isinstance(data, Mapping):
        raise CosimInputError(f"expected a mapping at the top level, got {type(data).__name__}", file=path)
    data = dict(data)
    if "extends" not in data:
        return data
    base_name = data.pop("extends")
    if not isinstance(base_name, str) or not base_name.strip():
        raise CosimInputError(f"expected a {what} preset name or file path, got {base_name!r}", file=path,
                              field="extends", allowed=list_presets(kind) or None)
    try:
        if base_name.startswith(("./", "../")):  # relative to the extending file, not to the cwd
            base_name = str(path.parent / base_name)
        base_path = resolve_preset(base_name, kind, what=what)
        base = load_with_extends(base_path, kind, what=what, _seen=(*_seen, path.resolve()))
    except CosimInputError as exc:
        # name the file the user wrote, then what went wrong with its base
        raise CosimInputError(f"cannot use base {base_name!r}: {exc}", file=path, field="extends") from None
    return deep_merge(base, data)
