"""The config schema (workflow/schemas/*.yaml) parses as meant. YAML cuts an unquoted flow-mapping
value at a comma: `{type: integer, description: paper 10,000 samples}` gives the description
'paper 10' and a bogus key '000 samples'. Every property definition, followed through $ref to the
sibling files, must be a mapping of JSON-schema keywords with a non-empty description, and every
property name must be a key of a shipped config or have a default (no stray names)."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "workflow" / "schemas"
TOP = SCHEMAS / "config.schema.yaml"
CONFIGS = [ROOT / "config.yaml", ROOT / "workflow" / "configs" / "paper.yaml",
           ROOT / ".test" / "config.yaml"]

# JSON Schema 2020-12 keywords (core, applicator, validation, meta-data, format, content).
KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor",
    "$vocabulary", "definitions",
    "type", "enum", "const", "default", "description", "title", "examples", "deprecated",
    "readOnly", "writeOnly",
    "multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "format", "contentMediaType", "contentEncoding",
    "items", "prefixItems", "contains", "minContains", "maxContains", "minItems", "maxItems",
    "uniqueItems", "unevaluatedItems",
    "properties", "patternProperties", "additionalProperties", "propertyNames", "required",
    "minProperties", "maxProperties", "dependentRequired", "dependentSchemas",
    "unevaluatedProperties",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
}
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMAS = ("items", "additionalProperties", "not", "if", "then", "else", "contains",
              "propertyNames", "unevaluatedItems", "unevaluatedProperties")


def mapping_keys(value) -> set:
    """Every mapping key anywhere in a loaded YAML document (inside lists too), as strings."""
    keys = set()
    if isinstance(value, dict):
        for key, item in value.items():
            keys.add(str(key))
            keys |= mapping_keys(item)
    elif isinstance(value, list):
        for item in value:
            keys |= mapping_keys(item)
    return keys


def load_sibling(ref: str) -> dict:
    return yaml.safe_load((SCHEMAS / ref).read_text())


def schema_problems(schema, where: str, known_keys: set, load_ref=load_sibling,
                    seen: set | None = None) -> list[str]:
    """Problems of one schema node and everything below it (properties, items, combinators,
    $ref'd sibling files, each once). `known_keys`: names a property may have without a default."""
    seen = set() if seen is None else seen
    problems = []
    if not isinstance(schema, dict):
        return [f"{where}: a schema must be a mapping, got {schema!r}"]
    stray = sorted(map(str, set(schema) - KEYWORDS))
    if stray:
        problems.append(f"{where}: keys that are not JSON-schema keywords {stray} "
                        f"(an unquoted comma in a flow mapping?)")
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        seen.add(ref)
        problems += schema_problems(load_ref(ref), ref, known_keys, load_ref, seen)
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        problems.append(f"{where}: properties must be a mapping, got {properties!r}")
        properties = {}
    for name, definition in properties.items():
        here = f"{where}.{name}"
        if not isinstance(definition, dict):
            problems.append(f"{here}: the definition must be a mapping, got {definition!r}")
            continue
        description = definition.get("description")
        if description is None and isinstance(definition.get("$ref"), str):
            description = load_ref(definition["$ref"]).get("description")   # the file's own
        if not (isinstance(description, str) and description.strip()):
            problems.append(f"{here}: no description (a non-empty string), got {description!r}")
        if "default" not in definition and str(name) not in known_keys:
            problems.append(f"{here}: the name is no key of a shipped config and has no default "
                            f"(a bogus key?)")
        problems += schema_problems(definition, here, known_keys, load_ref, seen)
    for key in SUBSCHEMAS:
        if isinstance(schema.get(key), dict):
            problems += schema_problems(schema[key], f"{where}[{key}]", known_keys, load_ref, seen)
    for key in SUBSCHEMA_LISTS:
        for i, sub in enumerate(schema.get(key) or []):
            problems += schema_problems(sub, f"{where}[{key}][{i}]", known_keys, load_ref, seen)
    return problems


def known_keys() -> set:
    """Keys of the shipped configs and of every default in the schema files: a property without a
    default of its own is fine when a config or an enclosing default sets it."""
    keys = set()
    for path in CONFIGS:
        keys |= mapping_keys(yaml.safe_load(path.read_text()))
    for path in SCHEMAS.glob("*.yaml"):
        keys |= defaults_keys(yaml.safe_load(path.read_text()))
    return keys


def defaults_keys(node) -> set:
    keys = set()
    if isinstance(node, dict):
        for key, item in node.items():
            keys |= mapping_keys(item) if key == "default" else defaults_keys(item)
    elif isinstance(node, list):
        for item in node:
            keys |= defaults_keys(item)
    return keys


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.yaml")), ids=lambda p: p.name)
def test_schema_file_parses_to_keyword_mappings_with_descriptions(path):
    schema = yaml.safe_load(path.read_text())
    assert isinstance(schema, dict) and isinstance(schema.get("properties"), dict), path
    assert isinstance(schema.get("description"), str) and schema["description"].strip()
    problems = schema_problems(schema, path.name, known_keys())
    assert not problems, "\n".join(problems)


def test_every_ref_names_a_sibling_schema_and_all_are_reached():
    reached = set()

    def load(ref):
        assert (SCHEMAS / ref).is_file(), f"$ref {ref!r} is not a file in {SCHEMAS}"
        reached.add(ref)
        return load_sibling(ref)

    assert not schema_problems(yaml.safe_load(TOP.read_text()), TOP.name, known_keys(), load)
    assert reached == {p.name for p in SCHEMAS.glob("*.yaml")} - {TOP.name}


def test_top_level_sections_are_config_keys_or_defaulted():
    keys = set()
    for path in CONFIGS:
        keys |= set(yaml.safe_load(path.read_text()))
    top = yaml.safe_load(TOP.read_text())["properties"]
    for name, definition in top.items():
        assert name in keys or "default" in definition or "$ref" in definition, name
        assert isinstance(name, str) and name.isidentifier(), name
    assert set(keys) <= set(top), set(keys) - set(top)   # additionalProperties: false holds


GOOD = """
description: A section.
type: object
properties:
  n: {type: integer, default: 1, description: "Samples (paper 10,000)."}
"""

BAD = {
    "comma in a flow mapping": (
        "properties:\n  n: {type: integer, default: 1, description: Samples (paper 10,000).}\n",
        "keys that are not JSON-schema keywords ['000).']"),
    "comma in a number": (
        "properties:\n  x: {type: number, default: 1, description: between 1,0.0 and 2}\n",
        "keys that are not JSON-schema keywords ['0.0 and 2']"),
    "no description": (
        "properties:\n  n: {type: integer, default: 1}\n", "n: no description"),
    "empty description": (
        "properties:\n  n: {type: integer, default: 1, description: ''}\n", "n: no description"),
    "definition not a mapping": (
        "properties:\n  n: integer\n", "n: the definition must be a mapping"),
    "bogus property name": (
        "properties:\n  '0.0': {type: number, description: cut from a line above}\n",
        "0.0: the name is no key of a shipped config and has no default"),
    "nested": (
        "properties:\n  s:\n    type: object\n    default: {}\n    description: d\n    properties:\n"
        "      m: {type: integer, default: 2, description: paper 1,000}\n",
        "s.m: keys that are not JSON-schema keywords ['0']"),
    "behind a ref": (
        "properties:\n  s: {$ref: other.yaml, default: {}}\n", "other.yaml.k: no description"),
}


def _problems(text):
    other = {"description": "o", "properties": {"k": {"type": "integer", "default": 0}}}
    return schema_problems(yaml.safe_load(text), "t", {"n", "s", "x", "m"},
                           load_ref=lambda ref: other)


def test_a_well_formed_definition_passes():
    assert _problems(GOOD) == []


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_check_catches(case):
    text, expected = BAD[case]
    problems = _problems(text)
    assert any(expected in p for p in problems), problems
