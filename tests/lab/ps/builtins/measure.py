"""Measure-Object (Windows PowerShell 5.1, Microsoft.PowerShell.Utility): the GenericMeasure parameter set.

[OFFICIAL] PowerShell-Docs reference/5.1/Microsoft.PowerShell.Utility/Measure-Object.md: GenericMeasure (the
default set: -InputObject from the pipeline, -Property at position 0, -Sum, -Average, -Maximum, -Minimum) outputs a
GenericMeasureInfo (Count, Average, Sum, Maximum, Minimum, Property); `Get-ChildItem | Measure-Object` counts the
objects. The TextMeasure set (-Line, -Word, -Character, -IgnoreWhiteSpace) is not simulated: the binder refuses
those parameters as unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lab.ps.binder import BoundArgs
from tests.lab.ps.builtins.misc import _prop
from tests.lab.ps.context import CallContext
from tests.lab.ps.convert import LabObject
from tests.lab.ps.spec import P, cmdlet

GENERIC_INFO = "Microsoft.PowerShell.Commands.GenericMeasureInfo"
MEASURE_INFO = "Microsoft.PowerShell.Commands.MeasureInfo"
STATISTICS = ("Sum", "Average", "Maximum", "Minimum")


@cmdlet(
    "Measure-Object",
    default_set="GenericMeasure",
    process_each=False,
    params=[
        P("InputObject", "object", pipeline=True),
        P("Property", "string[]", position=0),
    ]
    + [P(name, "switch") for name in STATISTICS],
)
def measure_object(ctx: CallContext, args: BoundArgs) -> Iterator[Any]:
    items = list(ctx.input) if ctx.input else ([args["InputObject"]] if "InputObject" in args else [])
    for name in args.get("Property") or [None]:
        # with -Property: the objects that have it (the reference's example 4 counts only those)
        values = items if name is None else [v for found, v in (_prop(i, name) for i in items) if found]
        yield _generic(values, name, args)


def _generic(values: list[Any], name: str | None, args: BoundArgs) -> LabObject:
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    props = {
        "Count": len(values),
        "Average": sum(numbers) / len(numbers) if args.get("Average") and numbers else None,
        "Sum": sum(numbers) if args.get("Sum") else None,
        "Maximum": max(numbers) if args.get("Maximum") and numbers else None,
        "Minimum": min(numbers) if args.get("Minimum") and numbers else None,
        "Property": name,
    }
    return LabObject([GENERIC_INFO, MEASURE_INFO, "System.Object"], props, None, adapted=True)
