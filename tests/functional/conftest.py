"""Fixtures for the library's functional tests: in-process labs, sessions built from the lab's host vars, and two
guards on every test: pypsrp's add_script is called only with a registered constant script (configmgr/scripts.py),
and the lab never refused a script."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pypsrp.powershell import PowerShell

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.provider import SiteProvider
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.configmgr.scphost import ScpHost
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.options import ConnectionOptions
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import registered_script
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import Session
from tests.lab.lab import Lab

SITE_OF = {
    "standalone-primary": ("cm01.contoso.com", "PS1"),
    "standalone-with-scp": ("cm01.contoso.com", "PS1"),
    "hierarchy": ("cas01.contoso.com", "CAS"),
    "expansion": ("cm01.contoso.com", "PS1"),
}


class DeadlineSession(Session):
    """A Session whose pipelines have a short deadline unless a call gives its own: what the action plugins' TaskSession
    does with the task's `timeout:` (plugin_utils/_action.py), so a hung call is noticed in seconds."""

    def __init__(self, options: ConnectionOptions, deadline: float) -> None:
        super().__init__(options)
        self.deadline = deadline

    def call_limit(self, timeout: float | None = None) -> float:
        return super().call_limit(timeout if timeout is not None else self.deadline)


class LabKit:
    """A running lab plus helpers that build library objects against it."""

    def __init__(self, lab: Lab, scenario: str) -> None:
        self.lab = lab
        self.scenario = scenario
        self.sessions: list[Session] = []

    def options(self, fqdn: str, **overrides: Any) -> ConnectionOptions:
        return ConnectionOptions.from_host_vars(
            self.lab.host_vars(fqdn), overrides=overrides or None, inventory_hostname=fqdn
        )

    def session(self, fqdn: str, **overrides: Any) -> Session:
        session = Session(self.options(fqdn, **overrides))
        self.sessions.append(session)
        return session

    def provider(
        self, fqdn: str | None = None, site_code: str | None = None, check_mode: bool = False, **overrides: Any
    ) -> SiteProvider:
        default_fqdn, default_code = SITE_OF.get(self.scenario, (None, None))
        return SiteProvider(
            self.session(fqdn or default_fqdn, **overrides), site_code=site_code or default_code, check_mode=check_mode
        )

    def now(self) -> float:
        return self.lab.world.clock.now().timestamp()

    def scp_host(self, fqdn: str, check_mode: bool = False, simulated: bool = True, **overrides: Any) -> ScpHost:
        """simulated=True: the wait loops sleep by advancing the lab clock (no real waiting)."""
        session = self.session(fqdn, **overrides)
        if simulated:
            return ScpHost(session, check_mode=check_mode, sleep=self.lab.advance, clock=self.now, poll_interval=2.0)
        return ScpHost(session, check_mode=check_mode, poll_interval=0.05)

    def close(self) -> None:
        for session in self.sessions:
            session.close()


SCRIPTS_SENT: list[str] = []  # registered constant scripts the library sent during the current test


@pytest.fixture(autouse=True)
def no_add_script(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library sends no script text but the registered constant scripts: fail the test on any other call of
    pypsrp's add_script (the lab would refuse it too; see the make_lab teardown)."""
    original = PowerShell.add_script
    SCRIPTS_SENT.clear()

    def guard(self: Any, script: Any, *args: Any, **kwargs: Any) -> Any:
        if registered_script(script) is None:
            raise AssertionError(
                f"PowerShell.add_script was called with a script that is not a registered constant: {str(script)[:200]!r}"
            )
        SCRIPTS_SENT.append(script)
        return original(self, script, *args, **kwargs)

    monkeypatch.setattr(PowerShell, "add_script", guard)


@pytest.fixture
def make_lab() -> Iterator[Callable[..., LabKit]]:
    """make_lab(scenario, **Lab kwargs) -> LabKit; stopped at teardown, after checking that no call was a script."""
    kits: list[LabKit] = []

    def factory(scenario: Any = "standalone-primary", **kwargs: Any) -> LabKit:
        name = scenario if isinstance(scenario, str) else scenario.get("name", "custom")
        kit = LabKit(Lab(scenario, **kwargs).start(), name)
        kits.append(kit)
        return kit

    yield factory
    for kit in kits:
        calls = kit.lab.calls()
        kit.close()
        kit.lab.stop()
        refused = [c for c in calls if "ScriptsRefused" in str(c.get("outcome"))]
        assert not refused, f"the lab refused script calls: {refused!r}"


def mutating(calls: list[dict]) -> list[str]:
    """Cmdlets in a call log that change something."""
    verbs = ("Add-", "Set-", "New-", "Remove-", "Restart-", "Start-", "Stop-", "Invoke-CM")
    return [
        c["cmdlet"]
        for c in calls
        if str(c["cmdlet"]).startswith(verbs) and c["cmdlet"] not in ("Set-Location", "New-PSDrive")
    ]
