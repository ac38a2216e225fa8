"""One definition per option group, checked: every module's argument spec (plugins/module_utils/_argspec.py) against
its documentation merged with its doc fragments (by ansible-core's own add_fragments, as ansible-doc merges them),
the connection options against the library's ConnectionOptions and ansible-core's psrp connection plugin, and the
values module_utils repeats from the library (it cannot import it) against the library's constants."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.connection import psrp
from ansible.utils.plugin_docs import add_fragments

from ansible_collections.configmgr.scp.plugins.module_utils import _argspec
from ansible_collections.configmgr.scp.plugins.plugin_utils import _connvars, _validate
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import options as library
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr import bootstrap, constants, scphost

COLLECTION = "configmgr.scp"
PACKAGE = "ansible_collections.configmgr.scp.plugins"
MODULES = sorted(_argspec.MODULE_ARGSPECS)
NO_LOG_TEXT = "Never returned or logged"  # how a description says its option is no_log
# ConnectionOptions fields no task option sets: for library callers only (allow_basic_over_http, see the Basic
# over HTTP message) and how messages name the host (the inventory name, set by the action base).
LIBRARY_ONLY_FIELDS = {"allow_basic_over_http", "display_name"}
# ansible-core's psrp connection plugin names the address and the credentials differently; no_profile is not used
# (the library opens runspaces with their profile).
PSRP_NAMES = {"remote_addr": "host", "remote_user": "username", "remote_password": "password"}
PSRP_UNUSED = {"no_profile"}
PYTHON_TYPES = {"str": str, "path": str, "int": int, "bool": bool, "float": float}
RULES = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


# -- the documentation, as ansible-doc reads it ---------------------------------------------------------------------
class Fragment:
    """A fragment class as ansible-core's fragment loader returns it (the collection's name set)."""


class FragmentLoader:
    """The part of ansible-core's fragment loader that add_fragments uses: `get(name)`, the class or None."""

    def get(self, name: str) -> type | None:
        prefix = COLLECTION + "."
        short = name[len(prefix) :] if name.startswith(prefix) else ""
        if not short or "." in short:
            return None  # add_fragments then splits off the variable (configmgr.scp.attributes.CHANGES)
        try:
            found = importlib.import_module(f"{PACKAGE}.doc_fragments.{short}")
        except ModuleNotFoundError:
            return None
        return type("Fragment", (found.ModuleDocFragment, Fragment), {"ansible_name": name})


def module_doc(module: str) -> dict[str, Any]:
    return yaml.safe_load(importlib.import_module(f"{PACKAGE}.modules.{module}").DOCUMENTATION)


def fragment_options(slug: str) -> dict[str, Any]:
    """The options one extends_documentation_fragment entry adds."""
    name, var = slug, "DOCUMENTATION"
    if FragmentLoader().get(slug) is None:
        name, var = slug.rsplit(".", 1)
    fragment = FragmentLoader().get(name)
    assert fragment is not None, f"unknown fragment {slug}"
    return yaml.safe_load(getattr(fragment, var.upper())).get("options") or {}


def documented_options(module: str) -> dict[str, Any]:
    """The module's options with its doc fragments merged by ansible-core (ansible.utils.plugin_docs.add_fragments)."""
    doc = module_doc(module)
    path = inspect.getfile(importlib.import_module(f"{PACKAGE}.modules.{module}"))
    add_fragments(doc, path, fragment_loader=FragmentLoader(), is_module=True)
    return doc["options"]


def description(option: Mapping[str, Any]) -> str:
    text = option.get("description") or ""
    return " ".join(text) if isinstance(text, list) else str(text)


def plain(value: Any) -> Any:
    """A value without ansible-core's data tags (documentation strings are tagged str subclasses), so that types
    compare too (a default of 0 is no default of false)."""
    if isinstance(value, bool) or value is None:
        return value
    for kind in (str, int, float):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def compare(spec: Mapping[str, Any], docs: Mapping[str, Any], where: str = "") -> list[str]:
    """Differences between an argument spec and documented options (names, types, choices, defaults, required,
    no_log, elements, aliases, suboptions)."""
    problems = []
    for name in sorted(set(spec) ^ set(docs)):
        problem = "in the spec, not documented" if name in spec else "documented, not in the spec"
        problems.append(f"{where}{name}: {problem}")
    for name in sorted(set(spec) & set(docs)):
        s, d, path = spec[name], docs[name], where + name
        pairs = {
            "type": (s.get("type", "str"), d.get("type", "str")),
            "choices": (list(s["choices"]) if "choices" in s else None, list(d["choices"]) if "choices" in d else None),
            "default": (s.get("default"), d.get("default")),
            "required": (bool(s.get("required", False)), bool(d.get("required", False))),
            "elements": (s.get("elements"), d.get("elements")),
            "aliases": (sorted(s.get("aliases") or []), sorted(d.get("aliases") or [])),
            "no_log": (bool(s.get("no_log", False)), NO_LOG_TEXT in description(d)),
        }
        for key, values in pairs.items():
            in_spec, in_docs = plain(values[0]), plain(values[1])
            if in_spec != in_docs or type(in_spec) is not type(in_docs):
                problems.append(f"{path}: {key} is {in_spec!r} in the spec, {in_docs!r} in the docs")
        if "options" in s or "suboptions" in d:
            problems.extend(compare(s.get("options") or {}, d.get("suboptions") or {}, path + "."))
    return problems


@pytest.mark.parametrize("module", MODULES)
def test_the_spec_is_what_the_docs_say(module):
    assert compare(_argspec.argument_spec(module), documented_options(module)) == []


@pytest.mark.parametrize("module", MODULES)
def test_each_option_is_documented_once(module):
    """No module documents an option of a fragment again (ansible-doc would silently keep the module's text)."""
    doc = module_doc(module)
    seen = {name: "the module" for name in doc.get("options") or {}}
    for slug in doc.get("extends_documentation_fragment") or []:
        for name in fragment_options(slug):
            assert name not in seen, f"{module}: {name} is documented by {seen[name]} and {slug}"
            seen[name] = slug


def test_every_module_documents_the_connection_options_by_the_fragment():
    for module in MODULES:
        assert f"{COLLECTION}.connection" in module_doc(module)["extends_documentation_fragment"], module
        assert set(_argspec.CONNECTION_ARGSPEC) <= set(_argspec.argument_spec(module))


# -- the rules between options ---------------------------------------------------------------------------------------
def rule_names(rules: Mapping[str, Any]) -> dict[str, set[str]]:
    """rule -> every option name it mentions."""
    found: dict[str, set[str]] = {}
    for rule, entries in rules.items():
        assert rule in RULES, rule
        names: set[str] = set()
        if rule == "required_by":
            for key, needed in entries.items():
                names |= {key} | ({needed} if isinstance(needed, str) else set(needed))
        elif rule == "required_if":
            for entry in entries:
                names |= {entry[0]} | set(entry[2])
        else:
            for group in entries:
                names |= set(group)
        found[rule] = names
    return found


def nested_rules(spec: Mapping[str, Any], where: str = ""):
    """(path, option specs, rules) of the top level's suboptions, recursively."""
    for name, option in spec.items():
        if "options" in option:
            yield where + name, option["options"], {k: option[k] for k in RULES if k in option}
            yield from nested_rules(option["options"], where + name + ".")


@pytest.mark.parametrize("module", MODULES)
def test_every_rule_names_options_of_its_level_and_the_docs_say_it(module):
    """Rules name options that exist where they apply, and each rule is in the docs: the options of a
    mutually_exclusive or required_together group name each other, a required_by key names what it needs, and an
    option required_if names the condition (O(state=present))."""
    spec = _argspec.module_spec(module)
    docs = documented_options(module)
    levels = [("", spec["argument_spec"], {k: v for k, v in spec.items() if k != "argument_spec"}, docs)]
    for path, options, rules in nested_rules(spec["argument_spec"]):
        sub_docs = docs
        for part in path.split("."):
            sub_docs = sub_docs[part]["suboptions"]
        levels.append((path + ".", options, rules, sub_docs))
    for prefix, options, rules, level_docs in levels:
        for rule, names in rule_names(rules).items():
            assert names <= set(options), f"{module} {rule} names {names - set(options)}"

        def says(option: str, other: str, prefix: str = prefix, level_docs: dict[str, Any] = level_docs) -> None:
            assert f"O({prefix}{other}" in description(level_docs[option]), (
                f"{module}: the docs of {prefix}{option} do not name O({prefix}{other})"
            )

        for group in rules.get("mutually_exclusive", []) + rules.get("required_together", []):
            for option in group:
                for other in group:
                    if other != option:
                        says(option, other)
        for key, needed in rules.get("required_by", {}).items():
            for other in [needed] if isinstance(needed, str) else needed:
                says(key, other)
        for entry in rules.get("required_if", []):
            for option in entry[2]:
                says(option, f"{entry[0]}={entry[1]})")


@pytest.mark.parametrize("module", MODULES)
def test_ansible_accepts_the_spec_and_its_rules(module):
    """The spec is valid for ArgumentSpecValidator (an unknown rule key or option would fail here)."""
    spec = _argspec.module_spec(module)
    required = {
        name: "x" if option.get("type", "str") == "str" and "choices" not in option else option["choices"][0]
        for name, option in spec["argument_spec"].items()
        if option.get("required")
    }
    if module == "service_connection_point":
        required["server"] = "scp01.contoso.com"
    if module == "service_connection_tool":
        required["usage_data_dest"] = "D:\\USB\\UsageData.cab"  # phase=prepare (the first choice) needs it
    result = ArgumentSpecValidator(**spec).validate(required)
    assert result.errors.errors == []


def test_the_site_system_group_is_one_spec_in_both_modules():
    scp = _argspec.SERVICE_CONNECTION_POINT["site_system"]
    assert scp["options"] == _argspec.SITE_SYSTEM_OPTIONS
    assert {k: scp[k] for k in RULES if k in scp} == _argspec.SITE_SYSTEM_RULES
    sss = _argspec.SITE_SYSTEM_SERVER
    assert {k: sss[k] for k in _argspec.SITE_SYSTEM_OPTIONS} == _argspec.SITE_SYSTEM_OPTIONS
    assert _argspec.MODULE_RULES["site_system_server"] == _argspec.SITE_SYSTEM_RULES


def test_the_site_system_fragment_says_the_same_in_both_forms():
    """DOCUMENTATION (a module's own options) and SUBOPTIONS (site_system's) differ only in O(site_system.x)."""
    top = fragment_options(f"{COLLECTION}.site_system")
    nested = fragment_options(f"{COLLECTION}.site_system.SUBOPTIONS")
    assert list(nested) == ["site_system"]
    suboptions = yaml.safe_load(yaml.safe_dump(nested["site_system"]["suboptions"]).replace("O(site_system.", "O("))
    assert suboptions == top
    assert list(top) == list(_argspec.SITE_SYSTEM_OPTIONS)
    assert compare(_argspec.SITE_SYSTEM_OPTIONS, top) == []
    assert module_doc("site_system_server")["extends_documentation_fragment"][0] == f"{COLLECTION}.site_system"
    assert (
        f"{COLLECTION}.site_system.SUBOPTIONS"
        in module_doc("service_connection_point")["extends_documentation_fragment"]
    )


# -- connection options: the library's ConnectionOptions and the psrp plugin ------------------------------------------
def test_every_connection_option_is_a_connection_options_field():
    fields = {f.name for f in dataclasses.fields(library.ConnectionOptions)}
    spec = set(_argspec.CONNECTION_ARGSPEC)
    assert spec <= fields, spec - fields
    assert fields - spec == LIBRARY_ONLY_FIELDS
    assert "certificate_key_password" in spec


def test_the_connection_options_are_the_psrp_variables_the_library_reads():
    assert (
        set(_argspec.CONNECTION_ARGSPEC)
        == set(_connvars.CONNECTION_OPTIONS)
        == {e.option for e in library.PSRP_VARIABLES}
    )


def test_secrets_are_no_log():
    no_log = {name for name, option in _argspec.CONNECTION_ARGSPEC.items() if option.get("no_log")}
    assert no_log == set(library.SECRET_FIELDS) == set(_connvars.SECRET_OPTIONS)
    for module in MODULES:
        assert {n for n, o in _argspec.MODULE_ARGSPECS[module].items() if o.get("no_log")} == set(), module


def test_connection_option_types_fit_the_fields():
    hints = typing.get_type_hints(library.ConnectionOptions)
    for name, option in _argspec.CONNECTION_ARGSPEC.items():
        wanted = PYTHON_TYPES[option.get("type", "str")]
        allowed = set(typing.get_args(hints[name])) or {hints[name]}
        assert wanted in allowed, f"{name}: {option.get('type')}, the field is {hints[name]}"


def test_connection_choices_are_the_library_constants():
    spec = _argspec.CONNECTION_ARGSPEC
    assert tuple(spec["auth"]["choices"]) == _argspec.AUTH_CHOICES == library.AUTH_METHODS
    assert tuple(spec["protocol"]["choices"]) == _argspec.PROTOCOL_CHOICES == library.PROTOCOLS
    assert tuple(spec["message_encryption"]["choices"]) == _argspec.ENCRYPTION_CHOICES == library.ENCRYPTION


def test_the_connection_options_are_the_psrp_plugins():
    plugin = yaml.safe_load(psrp.DOCUMENTATION)["options"]
    names = {PSRP_NAMES.get(name, name) for name in plugin} - PSRP_UNUSED
    # before ansible-core 2.21 the plugin passes certificate_key_password on as an extra, not as an option
    extras = set(_connvars.missing_extras(_connvars.load_psrp()))
    assert extras <= _connvars.EXTRA_OPTIONS and not names & extras
    assert names | extras == set(_argspec.CONNECTION_ARGSPEC)
    for name, option in plugin.items():
        ours = _argspec.CONNECTION_ARGSPEC.get(PSRP_NAMES.get(name, name))
        if ours is not None and "choices" in option:
            assert set(ours.get("choices") or ()) == set(option["choices"]), name


def test_argspec_connection_fragment_and_connection_options_agree():
    """The three homes of the connection options, against each other and the psrp plugin the action base resolves them
    with: the same names (certificate_key_password included), the fragment says what the spec says (types, choices,
    no_log), each type fits its ConnectionOptions field, and the secrets are the library's."""
    fragment = fragment_options(f"{COLLECTION}.connection")
    fields = {f.name for f in dataclasses.fields(library.ConnectionOptions)} - LIBRARY_ONLY_FIELDS
    psrp_plugin = _connvars.load_psrp()
    plugin = {_connvars.PLUGIN_NAMES.get(n, n) for n in psrp_plugin.option_definitions} - _connvars.PLUGIN_ONLY
    plugin |= set(_connvars.missing_extras(psrp_plugin))  # before ansible-core 2.21: extras of the plugin
    assert set(fragment) == set(_argspec.CONNECTION_ARGSPEC) == fields == plugin
    assert "certificate_key_password" in fragment
    assert compare(_argspec.CONNECTION_ARGSPEC, fragment) == []
    hints = typing.get_type_hints(library.ConnectionOptions)
    for name, option in fragment.items():
        allowed = set(typing.get_args(hints[name])) or {hints[name]}
        assert PYTHON_TYPES[option.get("type", "str")] in allowed, name
    assert {n for n, o in fragment.items() if NO_LOG_TEXT in description(o)} == set(library.SECRET_FIELDS)


def test_the_sms_provider_group_is_one_spec_with_its_rule_in_every_module():
    fragment = fragment_options(f"{COLLECTION}.sms_provider")
    assert compare(_argspec.SMS_PROVIDER_ARGSPEC, fragment) == []
    for module in MODULES:
        spec = _argspec.module_spec(module)
        assert {k: spec["argument_spec"][k] for k in _argspec.SMS_PROVIDER_ARGSPEC} == _argspec.SMS_PROVIDER_ARGSPEC
        assert ["sms_provider", "sms_provider_site_code"] in spec["required_together"], module
        assert f"{COLLECTION}.sms_provider" in module_doc(module)["extends_documentation_fragment"], module
        returned = yaml.safe_load(importlib.import_module(f"{PACKAGE}.modules.{module}").RETURN)
        assert {"sms_provider", "sms_provider_site_code"} <= set(returned) and "ansible_facts" not in returned, module
        errors = ArgumentSpecValidator(**spec).validate(dict(_required(spec), sms_provider="cm01.contoso.com")).errors
        assert any("sms_provider_site_code" in str(e) for e in errors.errors), module


def _required(spec: Mapping[str, Any]) -> dict[str, Any]:
    found = {
        name: "x" if option.get("type", "str") == "str" and "choices" not in option else option["choices"][0]
        for name, option in spec["argument_spec"].items()
        if option.get("required")
    }
    if "server" in spec["argument_spec"]:
        found["server"] = "scp01.contoso.com"
    return found


# -- one definition of the site code, the thread name, the auth choices -----------------------------------------------
def test_values_module_utils_repeats_are_the_librarys():
    assert _argspec.DOWNLOADER_THREAD == constants.DOWNLOADER_THREAD
    assert _argspec.COMPONENT["name"]["default"] == constants.DOWNLOADER_THREAD
    assert documented_options("component")["name"]["default"] == constants.DOWNLOADER_THREAD
    assert documented_options("service_connection_point")["auth"]["choices"] == list(library.AUTH_METHODS)


def test_the_plugins_check_with_the_librarys_rules():
    assert _validate.SITE_CODE is bootstrap.SITE_CODE
    assert _validate.THREAD_NAME_CHARS is scphost.THREAD_NAME_CHARS
    assert _validate.DOWNLOADER_THREAD is constants.DOWNLOADER_THREAD
    with pytest.raises(ValueError, match="name must be a component name such as SMS_DMP_DOWNLOADER"):
        _validate.thread_name("SMS-DMP")
    assert _validate.thread_name("sms_dmp_uploader") == "SMS_DMP_UPLOADER"


def test_argspec_defines_each_repeated_value_once_and_imports_nothing_of_the_collection():
    source = Path(inspect.getfile(_argspec)).read_text(encoding="utf-8")
    tree = ast.parse(source)
    literals = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    assert literals.count(constants.DOWNLOADER_THREAD) == 1
    lists = [
        [e.value for e in node.elts]
        for node in ast.walk(tree)
        if isinstance(node, (ast.List, ast.Tuple))
        and node.elts
        and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts)
    ]
    for values in (library.AUTH_METHODS, library.PROTOCOLS, library.ENCRYPTION):
        assert [v for v in lists if set(v) == set(values)] == [list(values)], values
    imported = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert all(not (getattr(node, "module", "") or "").startswith("ansible_collections") for node in imported)
    assert not re.search(r"^\s*(from|import)\s+ansible_collections", source, re.M)


def test_the_shared_return_values_read_the_same_in_every_module():
    """sms_provider and sms_provider_site_code are written out in each module's RETURN (doc fragments for RETURN need
    ansible-core 2.20, docs/architecture.md): every module that returns them documents them with the same text."""
    shared = ("sms_provider", "sms_provider_site_code")
    seen: dict[str, list[tuple[str, Any]]] = {key: [] for key in shared}
    # file_transfer reads no SMS Provider: it says so in its own sms_provider text
    for name in (m for m in MODULES if m != "file_transfer"):
        returns = yaml.safe_load(importlib.import_module(f"{PACKAGE}.modules.{name}").RETURN) or {}
        for key in shared:
            if key in returns:
                seen[key].append((name, returns[key]))
    for key, docs in seen.items():
        assert len(docs) >= 5, (key, [doc[0] for doc in docs])  # most modules read the SMS Provider
        first_name, first = docs[0]
        for name, doc in docs[1:]:
            assert doc == first, f"{key} in {name} differs from {first_name}"
