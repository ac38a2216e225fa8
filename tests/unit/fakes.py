"""Test doubles for the cmscp library: a Session that records structured commands and answers from a table."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import PipelineResult, StatementResult

Answer = Union[list, Callable[[dict], list], Exception]


class Terminating(Exception):
    """Raise from an answer callable (or give as the answer) for an error that ends the pipeline whatever the
    statement's error action (Invoke-WebRequest's WebException, for example)."""


class FakeSession:
    """Answers each statement by its first cmdlet name from `answers` (list, callable(params) -> list, or an
    exception to raise as that statement's terminating error). Records every pipeline it runs."""

    def __init__(self, host: str = "cm01.contoso.com", answers: Optional[dict[str, Answer]] = None) -> None:
        self.host = host
        self.answers: dict[str, Answer] = dict(answers or {})
        self.pipelines: list[Pipeline] = []
        self.generation = 0
        self.opened = False

    def open(self) -> None:
        if not self.opened:
            self.opened = True
            self.generation += 1

    def close(self) -> None:
        self.opened = False

    @property
    def commands(self) -> list[tuple[str, dict]]:
        return [(c.name, dict(c.parameters)) for p in self.pipelines for s in p.statements for c in s.commands]

    @property
    def names(self) -> list[str]:
        return [name for name, _params in self.commands]

    def run(self, pipeline: Pipeline, *, idempotent: bool = False, timeout: Any = None,
            rebuild: Optional[Callable[[], Pipeline]] = None) -> PipelineResult:
        self.open()
        self.pipelines.append(pipeline)
        results = []
        for i, statement in enumerate(pipeline.statements):
            command = statement.commands[0]
            answer = self.answers.get(command.name, [])
            if callable(answer) and not isinstance(answer, Exception):
                try:
                    answer = answer(dict(command.parameters))
                except Terminating as err:
                    answer = err
            if isinstance(answer, Exception):
                if statement.error_action in ("SilentlyContinue", "Ignore") and not isinstance(answer, Terminating):
                    results.append(StatementResult(i, []))
                    continue
                raise CommandFailed(str(answer), self.host, statement.describe(), category="ObjectNotFound",
                                    operation=pipeline.operation, statement_index=i,
                                    partial=[r.output for r in results])
            results.append(StatementResult(i, list(answer)))
        return PipelineResult(results)


def make_action(plugin_module, args, check_mode=False, remote_user=None, port=None, password=None):
    """An action plugin instance of `plugin_module` with a task of `args`, as Ansible builds it (no connection);
    `remote_user`, `port`, `password`: the play's keywords and connection password."""
    from unittest.mock import MagicMock
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    task.delegate_to = None
    task.remote_user = remote_user
    task.port = port
    play_context = MagicMock()
    play_context.remote_user = None
    play_context.port = None
    play_context.password = password
    return plugin_module.ActionModule(task, MagicMock(), play_context, MagicMock(), MagicMock(), MagicMock())
