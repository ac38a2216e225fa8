# -*- coding: utf-8 -*-
# Copyright: Contributors to the configmgr.scp collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the input_errors target: the rows of its report of refused cases (tests/output/input_errors.json).

tests/integration/test_input_table.py loads this file too, so a value is shown the same way in both reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SHOWN = 60  # characters of a value kept in a report row
MSG = 200  # characters of a message kept in a report row
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if char.isprintable():
        return char
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def shown_value(value: Any, limit: int = SHOWN) -> Any:
    """A string as given, cut to `limit` characters (then "... (N characters)", N the full length) with control and
    other unprintable characters escaped (\\n, \\t, \\r, \\xNN, \\uNNNN); numbers and booleans stay as they are."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    shown = "".join(_escaped(c) for c in text[:limit])
    if len(text) > limit:
        shown += f"... ({len(text)} characters)"
    return shown


def _row(module: str, option: str, value: Any, expected: str, refused: Any, changed: Any, msg: Any) -> dict[str, Any]:
    return {
        "module": str(module),
        "option": str(option),
        "value": shown_value(value),
        "expected": str(expected),
        "refused": bool(refused),
        "changed": bool(changed),
        "msg": str(msg or "")[:MSG],
    }


def _result_row(module: str, option: str, value: Any, expected: str, result: Mapping[str, Any]) -> dict[str, Any]:
    return _row(
        module,
        option,
        value,
        expected,
        result.get("failed", False),
        result.get("changed", False),
        result.get("msg", ""),
    )


def input_errors_rows(groups: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per case run, in the order of `groups`. A group is one of:

    - ``{module, option, value, expected, result}``: one task;
    - ``{module, option, expected, results}``: a looped task, the value of each case is its loop item;
    - ``{module, prefix, table_results}``: a task looped over a table of {option, reason, settings}: the option is
      prefix + the row's option, the value the row's setting of that name, the expected text the row's reason;
    - ``{module, role_results}``: bad_role_results of role_case.yml ({case: {variable, reason, vars}, failed, msg}).
    """
    rows: list[dict[str, Any]] = []
    for group in groups:
        module = group["module"]
        if "result" in group:
            rows.append(_result_row(module, group["option"], group.get("value"), group["expected"], group["result"]))
        elif "results" in group:
            for result in group["results"]:
                rows.append(_result_row(module, group["option"], result.get("item"), group["expected"], result))
        elif "table_results" in group:
            for result in group["table_results"]:
                case = result.get("item") or {}
                option = case.get("option", "")
                rows.append(
                    _result_row(
                        module,
                        group.get("prefix", "") + option,
                        (case.get("settings") or {}).get(option),
                        case.get("reason", ""),
                        result,
                    )
                )
        else:
            for result in group["role_results"]:
                case = result.get("case") or {}
                variable = case.get("variable", "")
                rows.append(
                    _row(
                        module,
                        variable,
                        (case.get("vars") or {}).get(variable),
                        case.get("reason", ""),
                        result.get("failed"),
                        result.get("changed"),
                        result.get("msg"),
                    )
                )
    return rows


class FilterModule:
    """input_errors_rows, input_shown_value."""

    def filters(self) -> dict[str, Any]:
        return {"input_errors_rows": input_errors_rows, "input_shown_value": shown_value}
