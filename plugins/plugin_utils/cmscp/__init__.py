"""cmscp: controller-side library of the configmgr.scp collection (see docs/architecture.md).

The public facade: what the action plugins use, and the shared rules those rest on. Action plugins import from here
only (`from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp import plan_scp`); tests and tools may
import the submodules. The submodules never import this package's names (relative imports of submodules only), so
importing any of them, which runs this file first, cannot make a cycle.
"""

from __future__ import annotations

from .apply.component import execute_component
from .apply.info import read_scp_host
from .apply.log_info import execute_log_read
from .apply.scp import ScpRun, converge_scp
from .apply.site_system import execute_site_system, read_accounts
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
from .decide.info import INFO_READS, plan_info, scp_view, site_system_views
from .decide.log_info import LOG_READS, LOGS, LogQuery, plan_log_read
from .decide.preflight import preflight_verdict
from .decide.scp import SCP_READS, desired_scp, lease_ttl, mode_changed, pending_after
from .decide.site_system import (
    DesiredSiteSystem,
    accounts_to_check,
    plan_site_system,
    site_system_reads,
    site_system_spec,
)
from .decide.usage_data import USAGE_READS, plan_usage_data
from .decide.views import thread_view
from .errors import ConfigMgrError, HostUnreachable, InvalidOption, PlanRefused
from .executor import ExecutionResult, execute_plan, observe_hosts
from .planner import DesiredScp, Plan, plan_scp

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
    # preflight
    "run_prerequisites",
    "preflight_verdict",
]
