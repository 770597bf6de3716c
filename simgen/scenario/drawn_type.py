"""Objects whose type is drawn per instance: ``type: {choice: [sedan, suv, van]}``.

Fields at the entry's top level are shared: every drawn type must accept each of them. Fields
only some types take go in that type's block under ``per_type:`` (``per_type: {van: {height:
2.3}}``), and a type's block wins over the top level. The entry's own fields (name, count,
instance_ids, spawn, behavior, placement) stay at the top level. Each candidate type is
validated when the file loads as the object it would be, so every problem is a located error;
each instance then draws its type at key path ``objects[j][k].type`` and is sampled as that
type's object from there on.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from simgen.errors import did_you_mean
from simgen.kinds.registry import load_kinds
from simgen.scenario.distributions import Choice, Constant, _choice_schema, _picked, _to_data
from simgen.scenario.object_fields import ObjectBase

DRAWN_TAG = "drawn"  # the objects union's tag of an entry whose 'type' is a distribution
ENTRY_FIELDS = ("name", "count", "instance_ids", "spawn", "behavior", "placement")  # never per type
ERROR_KIND = "drawn_type"  # pydantic error type the loader reads message and hint from


def object_types() -> tuple[str, ...]:
    """Every object type name, in schema order."""
    return tuple(load_kinds())


def _drawn_types(value: Any) -> Choice:
    """A ``{choice: [...]}`` (optionally weighted) over object type names."""
    if isinstance(value, Choice):
        value = value.to_data()
    if not isinstance(value, dict) or set(value) != {"choice"}:
        raise ValueError("a drawn type is {choice: [type, ...]} or {choice: {values: [...], weights: [...]}}")
    try:
        picked = _picked(object_types())(value)
    except ValueError as err:
        message = str(err)
        if message.startswith("must be one of"):
            got, _, hint = message.rsplit(", got ", 1)[1].partition(" (")
            message = f"unknown type {got} in the choice; see 'simgen list' for the object types"
            message += f" ({hint}" if hint else ""
        raise ValueError(message) from None
    if isinstance(picked, Constant):  # pragma: no cover - a dict always gives a Choice
        raise ValueError("a drawn type needs a choice of types")
    return picked


TypeChoice = Annotated[
    Choice,
    PlainValidator(_drawn_types),
    PlainSerializer(_to_data, return_type=Any),
    WithJsonSchema(
        {
            **_choice_schema({"type": "string", "minLength": 1}),  # simgen.scenario.schema lists the types
            "description": "the object type drawn per instance: {choice: [sedan, suv, van]}",
        }
    ),
]


class DrawnTypeObject(ObjectBase):
    """An object whose type each instance draws; shared fields at the top, per-type ones in ``per_type``."""

    model_config = ConfigDict(
        extra="allow", frozen=True, populate_by_name=True, allow_inf_nan=False, validate_default=True
    )

    type: TypeChoice  # type: ignore[assignment]
    per_type: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="type -> fields only that drawn type takes (they win over the top level): {van: {height: 2.3}}",
    )
    _candidates: dict[str, ObjectBase] = PrivateAttr(default_factory=dict)

    @property
    def types(self) -> tuple[str, ...]:
        """The candidate types, each once, in the order the choice lists them."""
        return tuple(dict.fromkeys(self.type.values))

    def as_type(self, name: str) -> ObjectBase:
        """The entry as the object of drawn type ``name`` (its shared and per-type fields validated)."""
        return self._candidates[name]

    def candidates(self) -> list[tuple[str, ObjectBase]]:
        """(type, object) for every candidate type, in choice order."""
        return [(t, self._candidates[t]) for t in self.types]

    def shared_values(self) -> dict[str, Any]:
        """The kind fields set at the top level and in no ``per_type`` block: one value whatever is drawn.

        ``${objects.NAME.KEY}`` references reach these; a field that differs by type has no single value.
        """
        first = self._candidates[self.types[0]]
        attrs = {(f.alias or n): n for n, f in type(first).model_fields.items()}
        overridden = {k for block in self.per_type.values() for k in block}
        return {k: getattr(first, attrs[k]) for k in self.model_extra or {} if k not in overridden and k in attrs}

    def block_values(self) -> list[tuple[tuple[str, str, str], Any]]:
        """``(("per_type", TYPE, KEY), value)`` of every per-type field, as its type's object parsed it."""
        out = []
        for name, block in self.per_type.items():
            obj = self._candidates[name]
            attrs = {(f.alias or n): n for n, f in type(obj).model_fields.items()}
            out += [(("per_type", name, key), getattr(obj, attrs[key])) for key in block if key in attrs]
        return out

    def given_in(self, name: str, key: str) -> bool:
        """True when ``key`` is set in type ``name``'s ``per_type`` block (else it comes from the top level)."""
        return key in self.per_type.get(name, {})

    @model_validator(mode="wrap")
    @classmethod
    def _validate_candidates(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        try:
            types = tuple(dict.fromkeys(_drawn_types(data.get("type")).values))
        except ValueError:
            return handler(data)  # the type field's own error, located at 'type'
        candidates, errors = candidate_objects(data, types)
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        self = handler(data)
        self._candidates = candidates
        return self

    @model_validator(mode="after")
    def _labelled_needs_class(self) -> DrawnTypeObject:
        return self  # each candidate type checks its own class (top level or its per-type block)

    @model_serializer(mode="wrap")
    def _as_written(self, handler: Any) -> dict[str, Any]:
        """The entry as a file says it: only the fields it sets, so each type keeps its own defaults."""
        out = handler(self)
        given = {(f.alias or n) for n, f in type(self).model_fields.items() if n in self.model_fields_set}
        given |= {"type"} | set(self.model_extra or {})
        return {k: v for k, v in out.items() if k in given}


def each_type(entry: ObjectBase) -> list[ObjectBase]:
    """The objects an entry can be: one per candidate type of a drawn type, else the entry itself."""
    return [obj for _, obj in entry.candidates()] if isinstance(entry, DrawnTypeObject) else [entry]


def as_drawn(entry: ObjectBase, sampler: Any, path: str) -> ObjectBase:
    """The object instance ``path`` (``objects[j][k]``) is: a drawn type is drawn at ``path.type``."""
    if not isinstance(entry, DrawnTypeObject):
        return entry
    return entry.as_type(str(sampler.draw(entry.type, f"{path}.type")))


def as_instance_type(entry: ObjectBase, name: str) -> ObjectBase:
    """The entry as the object of the type its instance drew (the entry itself when not drawn)."""
    return entry.as_type(name) if isinstance(entry, DrawnTypeObject) else entry


def drawn_data_path(entries: Any, seed_path: str, drawn: dict[str, Any]) -> tuple[Any, ...] | None:
    """Raw-data key path of ``objects[j][k].KEY`` when KEY is a kind field of the type instance k drew.

    ``drawn`` holds the episode's draws by key path (the instance's ``.type`` among them).
    """
    m = re.match(r"^objects\[(\d+)\]\[(\d+)\]\.([A-Za-z_][A-Za-z0-9_]*)", seed_path)
    if m is None or int(m.group(1)) >= len(entries):
        return None
    j, key = int(m.group(1)), m.group(3)
    entry, name = entries[j], drawn.get(f"objects[{j}][{m.group(2)}].type")
    if not isinstance(entry, DrawnTypeObject) or name not in entry.types:
        return None
    return ("objects", j, *(("per_type", name) if entry.given_in(name, key) else ()), key)


def _custom(loc: tuple[Any, ...], message: str, hint: str | None, value: Any) -> InitErrorDetails:
    """A line error the loader shows as ``message (hint)`` at ``loc``."""
    error = PydanticCustomError(ERROR_KIND, "{message}", {"message": message, "hint": hint or ""})
    return {"type": error, "loc": loc, "input": value}


def _block_errors(data: dict[str, Any], types: tuple[str, ...]) -> list[InitErrorDetails]:
    """Problems of the ``per_type`` mapping itself: unknown types, non-mappings, entry fields."""
    per_type = data.get("per_type", {})
    if not isinstance(per_type, dict):
        return []  # the model's own 'per_type' error reports it
    errors: list[InitErrorDetails] = []
    for name, block in per_type.items():
        if name not in types:
            hint = did_you_mean(str(name), list(types)) or f"the drawn types are {', '.join(types)}"
            errors.append(_custom(("per_type", name), f"'{name}' is not one of the drawn types", hint, block))
        elif not isinstance(block, dict):
            errors.append(_custom(("per_type", name), "a per-type block is a mapping of fields", None, block))
        else:
            for key in block:
                if key in (*ENTRY_FIELDS, "type", "per_type"):
                    hint = "the entry's name, count, ids, spawn, behavior and placement are shared: set it at the top"
                    errors.append(_custom(("per_type", name, key), f"'{key}' cannot differ by type", hint, block[key]))
    return errors


def candidate_objects(
    data: dict[str, Any], types: tuple[str, ...]
) -> tuple[dict[str, ObjectBase], list[InitErrorDetails]]:
    """Validate the entry as each candidate type; (objects by type, line errors located in ``data``)."""
    errors = _block_errors(data, types)
    if errors:
        return {}, errors
    per_type = data.get("per_type", {}) if isinstance(data.get("per_type"), dict) else {}
    shared = {k: v for k, v in data.items() if k not in ("type", "per_type")}
    kinds: dict[str, Any] = load_kinds()
    candidates: dict[str, ObjectBase] = {}
    refused: dict[str, list[str]] = {}  # top-level key -> types that do not take it
    seen: set[tuple[Any, ...]] = set()
    for name in types:
        block = per_type.get(name, {})
        try:
            candidates[name] = kinds[name].model.model_validate({**shared, **block, "type": name})
        except ValidationError as err:
            for e in err.errors():
                loc = tuple(e["loc"])
                key = loc[0] if loc else None
                if e["type"] == "extra_forbidden" and len(loc) == 1 and key not in block:
                    refused.setdefault(str(key), []).append(name)
                    continue
                line = _relocated(e, name, block, shared)
                mark = (line["loc"], e["type"], e["msg"])
                if mark not in seen:
                    seen.add(mark)
                    errors.append(line)
    errors += _refused_errors(refused, types, shared, kinds)
    return candidates, errors


def _relocated(e: Any, name: str, block: dict[str, Any], shared: dict[str, Any]) -> InitErrorDetails:
    """One candidate's line error at the key the file says it with (top level or ``per_type.NAME``)."""
    loc = tuple(e["loc"])
    key = loc[0] if loc else None
    if key in block:
        where: tuple[Any, ...] = ("per_type", name, *loc)
    elif key in shared:
        where = loc
    elif e["type"] == "missing":
        return _custom(
            ("type",),
            f"drawn type '{name}' needs '{key}'",
            f"set it at the top level, or in per_type: {{{name}: {{{key}: ...}}}}",
            None,
        )
    else:
        message = str(e["msg"]).removeprefix("Value error, ")
        hint = f"set it at the top level, or in per_type: {{{name}: {{class: ...}}}}" if "'class'" in message else None
        return _custom(("type",), f"as drawn type '{name}': {message}", hint, None)
    line: InitErrorDetails = {"type": e["type"], "loc": where, "input": e.get("input")}
    if e.get("ctx"):
        line["ctx"] = e["ctx"]
    return line


def _refused_errors(
    refused: dict[str, list[str]], types: tuple[str, ...], shared: dict[str, Any], kinds: dict[str, Any]
) -> list[InitErrorDetails]:
    """A top-level field some drawn types do not take: located at ``type``, naming them (or a typo)."""
    errors: list[InitErrorDetails] = []
    for key, names in refused.items():
        takers = [t for t in types if t not in names]
        if not takers:
            known = sorted({(f.alias or n) for t in types for n, f in kinds[t].model.model_fields.items()})
            hint = did_you_mean(key, known) or "see 'simgen schema' for each type's fields"
            errors.append(_custom((key,), f"unknown key '{key}': no drawn type takes it", hint, shared[key]))
            continue
        blocks = ", ".join(f"{t}: {{{key}: ...}}" for t in takers)
        errors.append(
            _custom(
                ("type",),
                f"'{key}' is not a field of drawn type{'s' if len(names) > 1 else ''} {', '.join(names)} "
                f"(only {', '.join(takers)} take{'s' if len(takers) == 1 else ''} it)",
                f"move it into per_type: {{{blocks}}}",
                shared[key],
            )
        )
    return errors
