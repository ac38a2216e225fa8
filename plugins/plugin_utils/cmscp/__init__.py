"""cmscp: controller-side library of the configmgr.scp collection (see docs/architecture.md).

The public facade: what the action plugins use, and the shared rules those rest on. Action plugins import from here
only (`from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import plan_scp`); tests and tools may
import the submodules. The submodules never import this package's names (relative imports of submodules only), so
importing any of them, which runs this file first, cannot make a cycle.

The names are loaded on first use (PEP 562 `__getattr__`): an action plugin imports only the submodules of the
names it uses, since every task imports its action plugin again in a fresh worker (docs/performance.md)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .apply.component import execute_component
    from .apply.file_transfer import execute_controller, execute_share, plan_controller, plan_share
    from .apply.info import read_scp_host
    from .apply.log_info import execute_log_read
    from .apply.scp import ScpRun, converge_scp
    from .apply.service_connection_tool import ToolHost
    from .apply.site_system import execute_site_system, read_accounts
    from .apply.site_updates import diagnose, execute_update_check
    from .apply.usage_data import execute_usage_data
    from .apply.verified import reverify_after_restart
    from .configmgr.clock import host_time
    from .configmgr.lease import HierarchyLease
    from .configmgr.model import ProviderState, ThreadState, normalise_mode
    from .configmgr.prereqs import run_prerequisites
    from .configmgr.provider import SiteProvider
    from .configmgr.scphost import ScpHost
    from .configmgr.topology import check_top_tier, require_top_tier
    from .decide.component import (
        COMPONENT_READS,
        ComponentOutcome,
        ComponentPlan,
        ComponentRequest,
        component_server,
        failure_after_restart,
        plan_component,
        restarts_downloader,
        stops_downloader,
    )
    from .decide.effective_mode import EffectiveMode, decide_effective_mode, effective_mode_evidence
    from .decide.file_transfer import check_chunk_size, transfer_diff
    from .decide.info import INFO_READS, plan_info, scp_view, site_system_views
    from .decide.log_info import LOG_READS, LOGS, LogQuery, plan_log_read
    from .decide.preflight import preflight_verdict
    from .decide.scp import SCP_READS, desired_scp, lease_ttl, mode_changed, pending_after
    from .decide.service_connection_tool import (
        IMPORT_READS,
        TOOL_READS,
        ToolRequest,
        cd_latest_folder,
        log_errors,
        log_view,
        phase_host,
        plan_tool,
        tool_failure_message,
        tool_folder,
        tool_site,
        updates_changed,
    )
    from .decide.site_system import (
        DesiredSiteSystem,
        accounts_to_check,
        plan_site_system,
        site_system_reads,
        site_system_spec,
    )
    from .decide.site_updates import (
        UPDATES_READS,
        failure_message,
        needs_thread,
        new_updates,
        plan_site_updates,
        update_view,
    )
    from .decide.usage_data import USAGE_READS, plan_usage_data
    from .decide.views import thread_view
    from .errors import ConfigMgrError, HostUnreachable, InvalidOption, PlanRefused
    from .executor import ExecutionResult, execute_plan, observe_hosts
    from .files.remote import RemoteFiles
    from .planner import DesiredScp, Plan, plan_scp

# name -> the submodule that defines it (relative to this package)
_WHERE: dict[str, str] = {
    "ConfigMgrError": ".errors",
    "HostUnreachable": ".errors",
    "InvalidOption": ".errors",
    "PlanRefused": ".errors",
    "SiteProvider": ".configmgr.provider",
    "ScpHost": ".configmgr.scphost",
    "HierarchyLease": ".configmgr.lease",
    "ProviderState": ".configmgr.model",
    "ThreadState": ".configmgr.model",
    "normalise_mode": ".configmgr.model",
    "host_time": ".configmgr.clock",
    "check_top_tier": ".configmgr.topology",
    "require_top_tier": ".configmgr.topology",
    "SCP_READS": ".decide.scp",
    "DesiredScp": ".planner",
    "Plan": ".planner",
    "ExecutionResult": ".executor",
    "desired_scp": ".decide.scp",
    "observe_hosts": ".executor",
    "plan_scp": ".planner",
    "execute_plan": ".executor",
    "lease_ttl": ".decide.scp",
    "pending_after": ".decide.scp",
    "mode_changed": ".decide.scp",
    "converge_scp": ".apply.scp",
    "ScpRun": ".apply.scp",
    "INFO_READS": ".decide.info",
    "plan_info": ".decide.info",
    "read_scp_host": ".apply.info",
    "scp_view": ".decide.info",
    "site_system_views": ".decide.info",
    "EffectiveMode": ".decide.effective_mode",
    "decide_effective_mode": ".decide.effective_mode",
    "effective_mode_evidence": ".decide.effective_mode",
    "COMPONENT_READS": ".decide.component",
    "ComponentRequest": ".decide.component",
    "ComponentPlan": ".decide.component",
    "ComponentOutcome": ".decide.component",
    "component_server": ".decide.component",
    "plan_component": ".decide.component",
    "execute_component": ".apply.component",
    "failure_after_restart": ".decide.component",
    "thread_view": ".decide.views",
    "stops_downloader": ".decide.component",
    "restarts_downloader": ".decide.component",
    "reverify_after_restart": ".apply.verified",
    "DesiredSiteSystem": ".decide.site_system",
    "site_system_reads": ".decide.site_system",
    "accounts_to_check": ".decide.site_system",
    "read_accounts": ".apply.site_system",
    "plan_site_system": ".decide.site_system",
    "execute_site_system": ".apply.site_system",
    "site_system_spec": ".decide.site_system",
    "USAGE_READS": ".decide.usage_data",
    "plan_usage_data": ".decide.usage_data",
    "execute_usage_data": ".apply.usage_data",
    "LOG_READS": ".decide.log_info",
    "plan_controller": ".apply.file_transfer",
    "plan_share": ".apply.file_transfer",
    "execute_controller": ".apply.file_transfer",
    "execute_share": ".apply.file_transfer",
    "check_chunk_size": ".decide.file_transfer",
    "transfer_diff": ".decide.file_transfer",
    "RemoteFiles": ".files.remote",
    "LOGS": ".decide.log_info",
    "LogQuery": ".decide.log_info",
    "plan_log_read": ".decide.log_info",
    "execute_log_read": ".apply.log_info",
    "run_prerequisites": ".configmgr.prereqs",
    "preflight_verdict": ".decide.preflight",
    "UPDATES_READS": ".decide.site_updates",
    "needs_thread": ".decide.site_updates",
    "plan_site_updates": ".decide.site_updates",
    "update_view": ".decide.site_updates",
    "new_updates": ".decide.site_updates",
    "failure_message": ".decide.site_updates",
    "execute_update_check": ".apply.site_updates",
    "diagnose": ".apply.site_updates",
    "TOOL_READS": ".decide.service_connection_tool",
    "IMPORT_READS": ".decide.service_connection_tool",
    "updates_changed": ".decide.service_connection_tool",
    "ToolRequest": ".decide.service_connection_tool",
    "tool_site": ".decide.service_connection_tool",
    "phase_host": ".decide.service_connection_tool",
    "tool_folder": ".decide.service_connection_tool",
    "cd_latest_folder": ".decide.service_connection_tool",
    "plan_tool": ".decide.service_connection_tool",
    "tool_failure_message": ".decide.service_connection_tool",
    "log_view": ".decide.service_connection_tool",
    "log_errors": ".decide.service_connection_tool",
    "ToolHost": ".apply.service_connection_tool",
}

__all__ = [
    # errors
    "ConfigMgrError",
    "HostUnreachable",
    "InvalidOption",
    "PlanRefused",
    # the domain: hosts, records, shared rules
    "SiteProvider",
    "ScpHost",
    "HierarchyLease",
    "ProviderState",
    "ThreadState",
    "normalise_mode",
    "host_time",
    "check_top_tier",
    "require_top_tier",
    # service_connection_point
    "SCP_READS",
    "DesiredScp",
    "Plan",
    "ExecutionResult",
    "desired_scp",
    "observe_hosts",
    "plan_scp",
    "execute_plan",
    "lease_ttl",
    "pending_after",
    "mode_changed",
    "converge_scp",
    "ScpRun",
    # service_connection_point_info
    "INFO_READS",
    "plan_info",
    "read_scp_host",
    "scp_view",
    "site_system_views",
    "EffectiveMode",
    "decide_effective_mode",
    "effective_mode_evidence",
    # component
    "COMPONENT_READS",
    "ComponentRequest",
    "ComponentPlan",
    "ComponentOutcome",
    "component_server",
    "plan_component",
    "execute_component",
    "failure_after_restart",
    "thread_view",
    "stops_downloader",
    "restarts_downloader",
    "reverify_after_restart",
    # site_system_server
    "DesiredSiteSystem",
    "site_system_reads",
    "accounts_to_check",
    "read_accounts",
    "plan_site_system",
    "execute_site_system",
    "site_system_spec",
    # usage_data
    "USAGE_READS",
    "plan_usage_data",
    "execute_usage_data",
    # log_info
    "LOG_READS",
    "LOGS",
    "LogQuery",
    "plan_log_read",
    "execute_log_read",
    # file_transfer
    "plan_controller",
    "plan_share",
    "execute_controller",
    "execute_share",
    "check_chunk_size",
    "transfer_diff",
    "RemoteFiles",
    # preflight
    "run_prerequisites",
    "preflight_verdict",
    # site_updates
    "UPDATES_READS",
    "needs_thread",
    "plan_site_updates",
    "update_view",
    "new_updates",
    "failure_message",
    "execute_update_check",
    "diagnose",
    # service_connection_tool
    "IMPORT_READS",
    "TOOL_READS",
    "ToolHost",
    "ToolRequest",
    "cd_latest_folder",
    "log_errors",
    "log_view",
    "phase_host",
    "plan_tool",
    "tool_failure_message",
    "tool_folder",
    "tool_site",
    "updates_changed",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its submodule on first use and kept here."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
