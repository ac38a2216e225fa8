"""Parameter binder: every binding error with PowerShell 5.1's FQID, category, exception type and message."""

from __future__ import annotations

import pytest
from psrpcore.types import PSSecureString

from tests.lab.ps.binder import bind
from tests.lab.ps.spec import CmdletTable, P, cmdlet
from tests.lab.wsman.backend import TerminatingError

TABLE = CmdletTable()
IMPL = "Microsoft.ConfigurationManagement.PowerShell.Cmdlets.HS.AddServiceConnectionPoint"


@cmdlet(
    "Add-CMServiceConnectionPoint",
    module="ConfigurationManager",
    default_set="ByValue",
    impl_type=IMPL,
    should_process=True,
    table=TABLE,
    params=[
        P("InputObject", "object", aliases=("SiteServer",), sets={"ByValue": {"mandatory": True, "pipeline": True}}),
        P(
            "Mode",
            "enum",
            mandatory=True,
            values=("Online", "Offline"),
            type_name="Microsoft.ConfigurationManagement.Cmdlets.HS.Commands.ServiceConnectionPointMode",
        ),
        P("SiteCode", "string", sets={"ByName": {}}),
        P(
            "SiteSystemServerName",
            "string",
            aliases=("Name", "ServerName"),
            sets={"ByName": {"mandatory": True, "position": 0}},
        ),
    ],
)
def _add(_ctx, _args):
    return None


@cmdlet(
    "Get-Thing",
    table=TABLE,
    default_set="A",
    params=[
        P("Name", "string[]", position=0, sets={"A": {}}),
        P("NameSuffix", "string", sets={"A": {}}),
        P("Id", "int32", sets={"B": {"mandatory": True}}),
        P("Count", "uint32"),
        P("Force", "switch"),
        P("When", "datetime"),
        P("Kind", "string", values=("Any", "Leaf")),
        P("Password", "securestring"),
        P("Other", "string", position=1, sets={"A": {}}),
    ],
)
def _thing(_ctx, _args):
    return None


ADD = TABLE.lookup("Add-CMServiceConnectionPoint", ["ConfigurationManager"])
THING = TABLE.lookup("get-thing")


def fails(spec, params, has_input=False) -> TerminatingError:
    with pytest.raises(TerminatingError) as info:
        bind(spec, params, has_input)
    return info.value


def test_prefix_alias_and_canonical_enum():
    args = bind(ADD, [("sitesys", "scp01"), ("mo", "offline"), ("SiteCode", "PS1")])
    assert args.set_name == "ByName"
    assert args["SiteSystemServerName"] == "scp01" and args["mode"] == "Offline"
    assert bind(ADD, [("ServerName", "x"), ("Mode", "Online")])["SiteSystemServerName"] == "x"


def test_positional_switch_and_common_parameters():
    args = bind(
        ADD, [(None, "scp01"), ("Mode", "Online"), ("WhatIf", None), ("ea", "stop"), ("DisableWildcardHandling", False)]
    )
    assert args["SiteSystemServerName"] == "scp01" and args["WhatIf"] is True and args["ErrorAction"] == "Stop"
    assert args["DisableWildcardHandling"] is False
    args = bind(THING, [(None, "a"), (None, "b"), ("Force", True)])
    assert args["Name"] == ["a"] and args["Other"] == "b" and args["Force"] is True


def test_type_conversion():
    args = bind(
        THING,
        [
            ("Count", "42"),
            ("When", "2026-01-02T03:04:05Z"),
            ("Name", "x"),
            ("Kind", "leaf"),
            ("Password", PSSecureString("s3cret")),
        ],
    )
    assert args["Count"] == 42 and args["When"].year == 2026 and args["Name"] == ["x"] and args["Kind"] == "leaf"
    assert args["Password"] == "s3cret"


def test_parameter_sets():
    assert bind(THING, []).set_name == "A"  # default set on a tie
    assert bind(THING, [("Id", 3)]).set_name == "B"
    assert bind(ADD, [("Mode", "Online")], has_input=True).set_name == "ByValue"  # pipeline satisfies InputObject


def test_unknown_parameter():
    err = fails(ADD, [("Bogus", 1)]).spec
    assert err.fqid == f"NamedParameterNotFound,{IMPL}"
    assert err.category == "InvalidArgument"
    assert err.exception_type == "System.Management.Automation.ParameterBindingException"
    assert err.message == "A parameter cannot be found that matches parameter name 'Bogus'."
    assert (
        fails(THING, [("Bogus", 1)]).spec.fqid == "NamedParameterNotFound,Microsoft.PowerShell.Commands.GetThingCommand"
    )


def test_ambiguous_parameter_and_common_preference():
    err = fails(THING, [("Nam", "x")]).spec
    assert err.fqid == "AmbiguousParameter,Microsoft.PowerShell.Commands.GetThingCommand"
    assert err.message == (
        "Parameter cannot be processed because the parameter name 'Nam' is ambiguous. "
        "Possible matches include: -Name -NameSuffix."
    )
    # "W" matches WhatIf/WarningAction/... on Add- but only common ones there -> ambiguous; on Get-Thing "Wh" -> When.
    assert bind(THING, [("Wh", "2026-01-01")])["When"].day == 1
    assert bind(THING, [("O", "x")])["Other"] == "x"  # Other beats OutVariable/OutBuffer (common)


def test_ambiguous_parameter_set():
    err = fails(ADD, [("InputObject", "x"), ("SiteCode", "PS1"), ("Mode", "Online")]).spec
    assert err.fqid == f"AmbiguousParameterSet,{IMPL}"
    assert err.message == "Parameter set cannot be resolved using the specified named parameters."


def test_missing_mandatory():
    err = fails(ADD, [("SiteSystemServerName", "x")]).spec
    assert err.fqid == f"MissingMandatoryParameter,{IMPL}" and err.category == "InvalidArgument"
    assert err.message == "Cannot process command because of one or more missing mandatory parameters: Mode."


def test_parameter_already_bound():
    err = fails(ADD, [("Name", "x"), ("ServerName", "y"), ("Mode", "Online")]).spec
    assert err.fqid == f"ParameterAlreadyBound,{IMPL}"
    assert err.message.startswith(
        "Cannot bind parameter because parameter 'SiteSystemServerName' is specified more than once."
    )


def test_positional_not_found():
    err = fails(ADD, [(None, "a"), (None, "b"), ("Mode", "Online")]).spec
    assert err.fqid == f"PositionalParameterNotFound,{IMPL}"
    assert err.message == "A positional parameter cannot be found that accepts argument 'b'."


def test_bad_enum_value():
    err = fails(ADD, [("Name", "x"), ("Mode", "Sideways")]).spec
    assert err.fqid == f"CannotConvertArgumentNoMessage,{IMPL}"
    assert err.message == (
        "Cannot bind parameter 'Mode'. Cannot convert value \"Sideways\" to type "
        '"Microsoft.ConfigurationManagement.Cmdlets.HS.Commands.ServiceConnectionPointMode". Error: '
        '"Unable to match the identifier name Sideways to a valid enumerator name. Specify one of the '
        'following enumerator names and try again:\r\nOnline, Offline"'
    )
    err = fails(THING, [("ErrorAction", "Explode")]).spec
    assert "System.Management.Automation.ActionPreference" in err.message


def test_validate_set_and_bad_int():
    err = fails(THING, [("Kind", "Tree")]).spec
    assert err.fqid == "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.GetThingCommand"
    assert err.category == "InvalidData"
    assert err.exception_type == "System.Management.Automation.ParameterBindingValidationException"
    assert err.message == (
        "Cannot validate argument on parameter 'Kind'. The argument \"Tree\" does not belong to the set "
        '"Any,Leaf" specified by the ValidateSet attribute. Supply an argument that is in the set and '
        "then try the command again."
    )
    err = fails(THING, [("Count", "lots")]).spec
    assert err.fqid.startswith("CannotConvertArgumentNoMessage,")
    assert err.message == (
        'Cannot bind parameter \'Count\'. Cannot convert value "lots" to type "System.UInt32". '
        'Error: "Input string was not in a correct format."'
    )


def test_plain_string_for_securestring_is_refused():
    err = fails(THING, [("Password", "plain")]).spec
    assert err.fqid.startswith("CannotConvertArgumentNoMessage,")
    assert "System.Security.SecureString" in err.message


def test_module_gating():
    assert TABLE.lookup("Add-CMServiceConnectionPoint", []) is None
    assert TABLE.lookup("add-cmserviceconnectionpoint", ["configurationmanager"]) is ADD
    assert ADD.param("ForceWildcardHandling") is not None and THING.param("DisableWildcardHandling") is None
    assert ADD.param("Confirm") is not None and THING.param("WhatIf") is None


@cmdlet(
    "Set-LiveThing",
    module="ConfigurationManager",
    table=TABLE,
    impl_type="Lab.SetLiveThing",
    params=[
        P("Account", "object", type_name="Microsoft.ConfigurationManagement.ManagementProvider.IResultObject"),
        P("Any", "object"),
    ],
)
def _live(_ctx, _args):
    return None


LIVE = TABLE.lookup("Set-LiveThing", ["ConfigurationManager"])


def test_live_typed_parameter_refuses_a_deserialized_bag_with_powershells_error():
    from psrpcore.types import PSObject, add_note_property

    from tests.lab.ps.convert import LabObject, from_ps

    iresult = "Microsoft.ConfigurationManagement.ManagementProvider.IResultObject"
    live = LabObject(
        ["IResultObject#SMS_SCI_Reserved", iresult, "System.Object"],
        {"UserName": "CONTOSO\\p"},
        to_string="instance of SMS_SCI_Reserved",
    )
    assert bind(LIVE, [("Account", live)])["Account"] is live
    # What psrpcore makes of an object a client sends: type names with the Deserialized. prefix.
    wire = PSObject()
    wire.PSObject.type_names = [
        "Deserialized.IResultObject#SMS_SCI_Reserved",
        "Deserialized." + iresult,
        "Deserialized.System.Object",
    ]
    wire.PSObject.to_string = "instance of SMS_SCI_Reserved"
    add_note_property(wire, "UserName", "CONTOSO\\p")
    bag = from_ps(wire)
    assert bag.deserialized and bag.type_names[0] == "IResultObject#SMS_SCI_Reserved" and bag == live
    err = fails(LIVE, [("Account", wire)]).spec
    assert (err.fqid, err.category, err.exception_type) == (
        "CannotConvertArgumentNoMessage,Lab.SetLiveThing",
        "InvalidArgument",
        "System.Management.Automation.ParameterBindingException",
    )
    assert err.message == (
        "Cannot bind parameter 'Account'. Cannot convert the \"instance of SMS_SCI_Reserved\" value "
        'of type "Deserialized.IResultObject#SMS_SCI_Reserved" to type "' + iresult + '".'
    )
    assert bind(LIVE, [("Any", wire)])["Any"].deserialized  # System.Object takes the bag as it is
    assert 'of type "System.String" to type' in fails(LIVE, [("Account", "CONTOSO\\p")]).spec.message
    other = LabObject(["System.Diagnostics.Process", "System.Object"], {}, to_string="p")
    assert 'value of type "System.Diagnostics.Process" to type' in fails(LIVE, [("Account", other)]).spec.message
    assert '"System.Object[]" value of type "System.Object[]"' in fails(LIVE, [("Account", [live, live])]).spec.message
    from tests.lab.ps.binder import NULL

    assert bind(LIVE, [("Account", NULL)])["Account"] is None  # explicit $null: not mandatory, binds
    assert fails(LIVE, [("Account", None)]).spec.fqid == "MissingArgument,Lab.SetLiveThing"  # bare
