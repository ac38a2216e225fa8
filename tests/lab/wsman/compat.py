"""The only place that touches psrpcore private API (pinned psrpcore>=0.3.1,<0.4).

Each wrapper has a test in tests/lab/selftest/test_transport.py so an upgrade that breaks one is caught.
"""

from __future__ import annotations

from typing import Any

from psrpcore import ServerPipeline, ServerRunspacePool
from psrpcore.types import ErrorRecord, PSInvocationState, add_note_property


def set_pipeline_state(
    pipeline: ServerPipeline, state: PSInvocationState, error: ErrorRecord | None = None, emit: bool = True
) -> None:
    """Change a pipeline's state; psrpcore has no public API for Failed, nor for a silent Running."""
    pipeline._change_state(state, error, emit=emit)  # pylint: disable=protected-access


def mark_running(pipeline: ServerPipeline) -> None:
    """Windows never sends PipelineState(Running); psrpcore's start() does."""
    set_pipeline_state(pipeline, PSInvocationState.Running, emit=False)


def fail_pipeline(pipeline: ServerPipeline, error: ErrorRecord) -> None:
    """End a pipeline Failed with ExceptionAsErrorRecord, as a terminating error does on Windows."""
    set_pipeline_state(pipeline, PSInvocationState.Failed, error)


def _alias_ci(event: Any) -> None:
    """pypsrp sends the call id as ``CI``; psrpcore reads ``ci`` case-sensitively."""
    obj = event._ps_object  # pylint: disable=protected-access
    if not hasattr(obj, "ci") and hasattr(obj, "CI"):
        add_note_property(obj, "ci", obj.CI)


class LabRunspacePool(ServerRunspacePool):
    """ServerRunspacePool that accepts pypsrp's SET_MAX/MIN_RUNSPACES messages."""

    def _process_SetMaxRunspaces(self, event: Any) -> None:  # pylint: disable=invalid-name
        _alias_ci(event)
        super()._process_SetMaxRunspaces(event)

    def _process_SetMinRunspaces(self, event: Any) -> None:  # pylint: disable=invalid-name
        _alias_ci(event)
        super()._process_SetMinRunspaces(event)

    def _process_GetAvailableRunspaces(self, event: Any) -> None:  # pylint: disable=invalid-name
        _alias_ci(event)
        super()._process_GetAvailableRunspaces(event)

    def _process_ResetRunspaceState(self, event: Any) -> None:  # pylint: disable=invalid-name
        _alias_ci(event)
        super()._process_ResetRunspaceState(event)
