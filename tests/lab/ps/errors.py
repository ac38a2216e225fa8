"""ErrorSpec builders with PowerShell 5.1 wording.

Message templates are from PowerShell's resource strings (PowerShell/PowerShell,
src/System.Management.Automation/resources/ParameterBinderStrings.resx and DiscoveryExceptions.resx;
the cmdlet messages from Microsoft.PowerShell.Commands.Management resources), as Windows PowerShell 5.1
renders them. Where 7.x differs (AmbiguousParameterSet), the 5.1 text is used.
"""

from __future__ import annotations

from typing import Any

from tests.lab.wsman.backend import ErrorSpec, TerminatingError

PBE = "System.Management.Automation.ParameterBindingException"


def short(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def make(
    message: str, category: str, fqid: str, exception_type: str, activity: str | None = None, target: Any = None
) -> ErrorSpec:
    return ErrorSpec(
        message=message,
        category=category,
        fqid=fqid,
        exception_type=exception_type,
        target=target,
        activity=activity,
        reason=short(exception_type),
    )


def fail(
    message: str, category: str, fqid: str, exception_type: str, activity: str | None = None, target: Any = None
) -> TerminatingError:
    """A TerminatingError to ``raise``."""
    return TerminatingError(make(message, category, fqid, exception_type, activity, target))


def command_not_found(name: str) -> TerminatingError:
    # DiscoveryExceptions.resx CommandNotFoundException (5.1 wording).
    msg = (
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. "
        "Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
    )
    return fail(
        msg,
        "ObjectNotFound",
        "CommandNotFoundException",
        "System.Management.Automation.CommandNotFoundException",
        activity=name,
        target=name,
    )


def cm_error(
    cmdlet_name: str,
    impl_type: str,
    message: str,
    *,
    category: str = "NotSpecified",
    exception_type: str = "System.InvalidOperationException",
    error_id: str | None = None,
    target: Any = None,
) -> TerminatingError:
    """A ConfigMgr-style failure: FQID ``<ExceptionType>,<cmdlet .NET type>`` unless ``error_id`` is given."""
    return fail(message, category, f"{error_id or exception_type},{impl_type}", exception_type, cmdlet_name, target)


def not_on_cm_drive(cmdlet_name: str, impl_type: str) -> TerminatingError:
    # Observed text of every ConfigurationManager cmdlet run outside a CMSite drive (Microsoft docs sample output).
    return cm_error(
        cmdlet_name,
        impl_type,
        "This command cannot be run from the current drive. "
        "To run this command you must first connect to a Configuration Manager drive.",
    )
