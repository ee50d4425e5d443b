"""Zuora object metadata taken from ``schemas/zuora/*.json``: field kinds and the describe XML."""

from __future__ import annotations

import functools
import re
from typing import Any
from xml.etree import ElementTree

import bizops_schemas

SOURCE = "zuora"


@functools.cache
def schemas() -> dict[str, dict[str, Any]]:
    """Every Zuora object schema by object name (loaded once)."""
    return {name: bizops_schemas.load(SOURCE, name) for name in bizops_schemas.names(SOURCE)}


def field_kind(prop: dict[str, Any]) -> str:
    """The describe ``<type>`` of a schema property: text, picklist, boolean, integer, decimal,
    date or datetime."""
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    base = next(t for t in types if t != "null")
    if base == "string":
        if prop.get("format") == "date-time":
            return "datetime"
        if prop.get("format") == "date":
            return "date"
        return "picklist" if "enum" in prop else "text"
    return {"integer": "integer", "number": "decimal", "boolean": "boolean"}[base]


def related(object_name: str) -> dict[str, tuple[str, str]]:
    """Related objects of ``object_name``: ``{relation name: (target object, foreign key)}``."""
    out = {}
    for field, prop in schemas()[object_name]["properties"].items():
        link = prop.get("x-zuora-related")
        if link:
            out[link["name"]] = (link["object"], field)
    return out


def label(name: str) -> str:
    """A human label from an API name: ``ProductRatePlan`` -> ``Product Rate Plan``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)


def describe_all_xml(base_url: str) -> bytes:
    """The body of ``GET /v1/describe``: every object with a link to its own describe."""
    root = ElementTree.Element("objects")
    for name in schemas():
        obj = ElementTree.SubElement(root, "object", href=f"{base_url}/v1/describe/{name}")
        ElementTree.SubElement(obj, "name").text = name
        ElementTree.SubElement(obj, "label").text = label(name)
    return _serialize(root)


def describe_object_xml(object_name: str, base_url: str) -> bytes:
    """The body of ``GET /v1/describe/{object}``: its fields and related objects."""
    schema = schemas()[object_name]
    required = set(schema.get("required", ()))
    root = ElementTree.Element("object")
    ElementTree.SubElement(root, "name").text = object_name
    ElementTree.SubElement(root, "label").text = label(object_name)
    fields = ElementTree.SubElement(root, "fields")
    for name, prop in schema["properties"].items():
        writable = "false" if prop.get("readOnly") else "true"
        field = ElementTree.SubElement(fields, "field")
        for tag, text in (
            ("name", name), ("label", label(name)), ("selectable", "true"),
            ("createable", writable), ("updateable", writable), ("filterable", "true"),
            ("custom", "false"), ("maxlength", str(prop.get("maxLength", ""))),
            ("required", "true" if name in required else "false"), ("type", field_kind(prop)),
        ):  # fmt: skip
            ElementTree.SubElement(field, tag).text = text or None
        contexts = ElementTree.SubElement(field, "contexts")
        for context in ("export", "soap"):
            ElementTree.SubElement(contexts, "context").text = context
    relations = ElementTree.SubElement(root, "related-objects")
    for relation, (target, _) in related(object_name).items():
        obj = ElementTree.SubElement(relations, "object", href=f"{base_url}/v1/describe/{target}")
        ElementTree.SubElement(obj, "name").text = relation
        ElementTree.SubElement(obj, "label").text = label(relation)
    return _serialize(root)


def _serialize(root: ElementTree.Element) -> bytes:
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
