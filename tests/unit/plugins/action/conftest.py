"""Fixtures shared by the action plugin tests."""

from __future__ import annotations

import pytest

from ansible_collections.configmgr.scp.plugins.plugin_utils import _action


@pytest.fixture(name="no_sessions")
def fixture_no_sessions(monkeypatch):
    opened = []

    def refuse(self, target=None):
        opened.append(target)
        raise AssertionError("a session was requested")

    monkeypatch.setattr(_action.TaskContext, "session", refuse)
    return opened
