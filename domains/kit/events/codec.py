"""Events as dataclasses, their JSON form, and the JSON Schema of that form.

An event is a frozen dataclass deriving from `Event`, named in the past tense, with a
`name` and a `version`: a change a consumer could misread gets a new version. Field
types are limited to what JSON carries unambiguously: str, int, bool, UUID (a string),
datetime (an ISO 8601 string with offset), None-able fields, lists, nested dataclasses.

Decoding is a tolerant reader: unknown fields are ignored, so a producer may add a field
without breaking consumers that do not know it yet; a missing required field is an error.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import uuid
from datetime import datetime
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin, get_type_hints

import orjson

E = TypeVar("E", bound="Event")


class EventDecodeError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Event:
    name: ClassVar[str]
    version: ClassVar[int]
    description: ClassVar[str] = ""


def encode_event(event: Event) -> dict[str, Any]:
    value = _encode(event)
    assert isinstance(value, dict)
    return value


def payload_json(payload: dict[str, Any]) -> str:
    """An encoded event as compact JSON text, as the outbox and the streams carry it.
    orjson, not json: a seed's bulk events and every event of a checkout pass through
    here, and it writes the same JSON several times faster."""
    return orjson.dumps(payload).decode()


def payload_from_json(text: str | bytes) -> Any:
    """The payload in `payload_json`'s text; ValueError when it is not JSON."""
    return orjson.loads(text)


# Field names per event dataclass: a bulk event holds thousands of the same nested
# dataclass, and dataclasses.fields() per instance is most of its encoding time.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _encode(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is uuid.UUID:
        return str(value)
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(value))
    if names is not None:
        return {name: _encode(getattr(value, name)) for name in names}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event datetimes must carry a time zone")
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, str | int | bool):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} in an event")


def decode_event(cls: type[E], data: Any) -> E:
    value = _decode(cls, data, cls.name)
    assert isinstance(value, cls)
    return value


@functools.cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    # Resolved once per class: get_type_hints evaluates every annotation string anew,
    # which was a few per cent of each saga worker's CPU when done per event.
    return get_type_hints(cls)


def _decode(annotation: Any, data: Any, path: str) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        if data is None:
            return None
        return _decode(options[0], data, path)
    if origin in (list, tuple):
        if not isinstance(data, list):
            raise EventDecodeError(f"{path}: expected a list")
        (item,) = get_args(annotation)[:1]
        decoded = [_decode(item, value, f"{path}.{index}") for index, value in enumerate(data)]
        return decoded if origin is list else tuple(decoded)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if not isinstance(data, dict):
            raise EventDecodeError(f"{path}: expected an object")
        hints = _hints(annotation)
        values = {}
        for field in dataclasses.fields(annotation):
            if field.name in data:
                values[field.name] = _decode(
                    hints[field.name], data[field.name], f"{path}.{field.name}"
                )
            elif (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                raise EventDecodeError(f"{path}: missing field {field.name!r}")
        return annotation(**values)
    try:
        if annotation is uuid.UUID:
            return uuid.UUID(str(data))
        if annotation is datetime:
            parsed = datetime.fromisoformat(str(data))
            if parsed.tzinfo is None:
                raise ValueError("no time zone")
            return parsed
    except ValueError as error:
        raise EventDecodeError(f"{path}: {error}") from None
    if annotation is bool and isinstance(data, bool):
        return data
    if annotation is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if annotation is str and isinstance(data, str):
        return data
    raise EventDecodeError(f"{path}: expected {getattr(annotation, '__name__', annotation)}")


def json_schema(cls: type[Event]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an event's payload, committed under schema/events."""
    schema = _schema(cls)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://shopgraph.dev/schema/events/{cls.name}.v{cls.version}.json",
        "title": cls.name,
        "description": cls.description or (cls.__doc__ or "").strip(),
        "x-event-name": cls.name,
        "x-event-version": cls.version,
        **schema,
    }


def _schema(annotation: Any) -> dict[str, Any]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        return {"anyOf": [_schema(options[0]), {"type": "null"}]}
    if origin in (list, tuple):
        return {"type": "array", "items": _schema(get_args(annotation)[0])}
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        hints = _hints(annotation)
        fields = dataclasses.fields(annotation)
        return {
            "type": "object",
            "properties": {field.name: _schema(hints[field.name]) for field in fields},
            "required": [
                field.name
                for field in fields
                if field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ],
        }
    if annotation is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    if annotation is datetime:
        return {"type": "string", "format": "date-time"}
    if annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    raise TypeError(f"{annotation!r} cannot be part of an event")
