"""Test doubles for the cmscp library: a Session that records structured commands and answers from a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.errors import CommandFailed
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.pipeline import Pipeline, ScriptCommand
from ansible_collections.configmgr.scp.plugins.plugin_utils.cmscp.session import PipelineResult, StatementResult

Answer = list | Callable[[dict], list] | Exception


class Terminating(Exception):
    """Raise from an answer callable (or give as the answer) for an error that ends the pipeline whatever the
    statement's error action (Invoke-WebRequest's WebException, for example)."""


class FakeSession:
    """Answers each statement by its first cmdlet name from `answers` (list, callable(params) -> list, or an
    exception to raise as that statement's terminating error). Records every pipeline it runs."""

    def __init__(self, host: str = "cm01.contoso.com", answers: dict[str, Answer] | None = None) -> None:
        self.host = host
        self.answers: dict[str, Answer] = dict(answers or {})
        self.pipelines: list[Pipeline] = []
        self.generation = 0
        self.opened = False
        self._calls: list[tuple[str, dict]] = []

    def open(self) -> None:
        if not self.opened:
            self.opened = True
            self.generation += 1

    def close(self) -> None:
        self.opened = False

    @property
    def commands(self) -> list[tuple[str, dict]]:
        """Every cmdlet run, in order: structured commands, and a constant script's inner calls (Select-Object and
        Where-Object, which only shape the script's output, left out)."""
        return list(self._calls)

    @property
    def names(self) -> list[str]:
        return [name for name, _params in self.commands]

    def run(
        self,
        pipeline: Pipeline,
        *,
        idempotent: bool = False,
        timeout: Any = None,
        rebuild: Callable[[], Pipeline] | None = None,
    ) -> PipelineResult:
        self.open()
        self.pipelines.append(pipeline)
        results = []
        for i, statement in enumerate(pipeline.statements):
            command = statement.commands[0]
            if isinstance(command, ScriptCommand) and command.spec.name == "Read-CMSiteState":
                results.append(StatementResult(i, self._script(command, pipeline, i, results)))
                continue
            self._calls.append((command.name, dict(command.parameters)))
            answer = self._answer(command.name, dict(command.parameters))
            if isinstance(answer, Exception):
                if statement.error_action in ("SilentlyContinue", "Ignore") and not isinstance(answer, Terminating):
                    results.append(StatementResult(i, []))
                    continue
                raise CommandFailed(
                    str(answer),
                    self.host,
                    statement.describe(),
                    category="ObjectNotFound",
                    operation=pipeline.operation,
                    statement_index=i,
                    partial=[r.output for r in results],
                    cmdlet=command.name,
                )
            results.append(StatementResult(i, list(answer)))
        return PipelineResult(results)

    def _answer(self, name: str, params: dict) -> Any:
        answer = self.answers.get(name, [])
        if callable(answer) and not isinstance(answer, Exception):
            try:
                answer = answer(params)
            except Terminating as err:
                answer = err
        return answer

    def _script(self, command: ScriptCommand, pipeline: Pipeline, index: int, results: list) -> list:
        """Run the read script as the lab parses it (tests/lab/ps/scripts.py), each inner call answered from the
        table; Select-Object keeps the answers' dicts as they are (-First counts), Where-Object filters them."""
        from tests.lab.ps import scripts as lab

        script = lab.lookup(command.spec.text)
        assert script is not None, command.spec.name
        variables: dict[str, Any] = {k.lower(): v for k, v in command.parameters}
        output: list = []

        def run(steps: tuple) -> bool:
            for step in steps:
                if step.kind == "emit":
                    output.append(step.text)
                elif step.kind == "emit_var":
                    value = variables.get(str(step.variable).lower())
                    output.extend(value if isinstance(value, list) else [] if value is None else [value])
                elif step.kind == "return":
                    return False
                elif step.kind == "throw":
                    raise CommandFailed(
                        str(step.text),
                        self.host,
                        command.describe(),
                        operation=pipeline.operation,
                        statement_index=index,
                        partial=[r.output for r in results],
                        output=output,
                    )
                elif step.kind == "if":
                    if lab.condition(step.cond, variables) and not run(step.body):
                        return False
                elif step.kind == "assign" and step.value is not None:
                    variables[str(step.variable).lower()] = lab.evaluate(step.value, variables)
                elif step.kind != "preference":
                    got = calls(step)
                    if step.variable:
                        variables[step.variable.lower()] = None if not got else got[0] if len(got) == 1 else got
                    else:
                        output.extend(got)
            return True

        def calls(step: Any) -> list:
            data: list | None = None
            if step.source is not None:
                value = variables.get(step.source.lower())
                data = value if isinstance(value, list) else [] if value is None else [value]
            for call in step.calls:
                params = {k: (None if v is lab.NULL else v) for k, v in lab.arguments(call, variables)}
                if call.cmdlet == "Select-Object":
                    data = list(data or [])[: params["First"]] if "First" in params else list(data or [])
                    continue
                if call.cmdlet == "Where-Object":
                    wanted = [str(w).lower() for w in (params.get("Value") or [])]
                    data = [
                        d
                        for d in data or []
                        if isinstance(d, dict) and str(d.get(params["Property"], "")).lower() in wanted
                    ]
                    continue
                shown = {k: (SWITCH_SHOWN if v is None else v) for k, v in params.items()}
                self._calls.append((call.cmdlet, shown))
                answer = self._answer(call.cmdlet, shown)
                if isinstance(answer, Exception):
                    if str(params.get("ErrorAction")) in ("SilentlyContinue", "Ignore") and not isinstance(
                        answer, Terminating
                    ):
                        data = []
                        continue
                    raise CommandFailed(
                        str(answer),
                        self.host,
                        command.describe(),
                        category="ObjectNotFound",
                        operation=pipeline.operation,
                        statement_index=index,
                        partial=[r.output for r in results],
                        cmdlet=call.cmdlet,
                        output=output,
                    )
                data = list(answer)
            return list(data or [])

        run(script.steps)
        return output


SWITCH_SHOWN = True  # how a switch of a script's inner call shows in `commands` (as a structured one's value)


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
