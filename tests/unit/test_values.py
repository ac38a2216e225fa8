from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pypsrp.complex_objects import GenericComplexObject

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.values import (
    PSDict,
    error_info,
    parse_datetime,
    to_python,
)


def obj(types, adapted=None, extended=None, to_string=None, sets=None):
    o = GenericComplexObject()
    o.types = list(types)
    o.adapted_properties = dict(adapted or {})
    o.extended_properties = dict(extended or {})
    o.to_string = to_string
    o.property_sets = list(sets or [])
    return o


def test_psobject_to_dict_with_nested_embedded_list():
    prop = obj(
        ["Microsoft.Management.Infrastructure.CimInstance#SMS_EmbeddedProperty"],
        adapted={"PropertyName": "OfflineMode", "Value": 1, "Value1": "", "Value2": ""},
    )
    scp = obj(
        ["IResultObject#SMS_SCI_SysResUse"],
        adapted={"NetworkOSPath": "\\\\scp01.contoso.com", "Props": [prop]},
        extended={"Note": "x"},
    )
    value = to_python(scp)
    assert isinstance(value, PSDict) and value.type_names[0].endswith("SMS_SCI_SysResUse")
    assert value["Props"][0]["PropertyName"] == "OfflineMode" and value["Props"][0]["Value"] == 1
    assert value["Note"] == "x" and value.raw is scp


def test_enum_becomes_name():
    assert (
        to_python(obj(["X.Mode", "System.Enum", "System.ValueType", "System.Object"], to_string="Online", sets=[0]))
        == "Online"
    )
    assert to_python(obj(["X.Mode", "System.Enum"], sets=[3])) == 3


def test_dates():
    assert parse_datetime("2024-03-01T10:20:30.1234567Z") == datetime(
        2024, 3, 1, 10, 20, 30, 123456, tzinfo=timezone.utc
    )
    d = to_python("2024-03-01T10:20:30+02:00")
    assert d.utcoffset() == timedelta(hours=2)
    assert parse_datetime("2024-03-01T10:20:30").tzinfo is timezone.utc
    assert to_python("not a date 2024-03-01") == "not a date 2024-03-01"
    assert parse_datetime("2024-13-01T10:20:30Z") is None


def test_primitive_wrapped_and_collections():
    assert to_python(obj(["System.String"], sets=["abc"])) == "abc"
    assert to_python({"a": [1, obj(["T"], adapted={"b": True})]}) == {"a": [1, {"b": True}]}


class Record:
    category = 13
    fq_error = "ItemNotFound,Get-Thing"
    target_name = "x"
    invocation_name = "Get-Thing"
    invocation_position_message = "At line:1 char:1"
    details_message = None
    exception = obj(["System.Exception"], adapted={"Message": "Cannot find x"})
    _to_string = "Cannot find x"


def test_error_info():
    info = error_info(Record())
    assert (info.message, info.category, info.fully_qualified_error_id, info.command, info.target) == (
        "Cannot find x",
        "ObjectNotFound",
        "ItemNotFound,Get-Thing",
        "Get-Thing",
        "x",
    )
    assert info.script_position == "At line:1 char:1"
