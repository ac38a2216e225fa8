"""The demo and the survey job template run as AWX runs a job: through ansible-runner, from the built tarball.

The private data dir is laid out as AWX's RunJob writes it (awx/main/tasks/jobs.py): project/ with the project's
playbooks, the collection installed from its tarball into requirements_collections/ (first in the job's
ANSIBLE_COLLECTIONS_PATH), inventory/hosts as a script printing the inventory's JSON, env/extravars (the survey
answers and AWX's meta variables, strings tagged !unsafe), the custom credential's injected extra variables in a
file of their own passed with `-e @file`, env/cmdline with the machine credential's `-u USER --ask-pass`, and
env/passwords answering ansible's `SSH password:` prompt. The lab's SCP server accepts only its own account, so a
job that reached it with the machine credential's account would fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_runner.utils import args2cmdline
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.collection_path import ROOT
from tests.integration.runner import mutating
from tests.lab.lab import Lab, load_scenario

pytestmark = pytest.mark.timeout(300)

BIN = Path(sys.executable).parent
AWX = ROOT / "extensions" / "awx"
CM01, SCP01 = "cm01.contoso.com", "scp01.contoso.com"
MACHINE_USER, MACHINE_PASSWORD = "CONTOSO\\cmadmin", "Awx-Machine-Pw-41!"
SCP_USER, SCP_PASSWORD = "CONTOSO\\scpadmin", "Awx-ScpHost-Pw-73!"
# AWX's prompt pattern for the machine credential's password (RunJob.get_password_prompts)
SSH_PASSWORD_PROMPT = r"SSH password:\s*?$"
PREFLIGHT = "Check the prerequisites for the SCP server"


def scenario(scp_account: str = SCP_USER) -> dict[str, Any]:
    """standalone-primary with passwords of its own, and an SCP server that only `scp_account` may log on to."""
    data = load_scenario("standalone-primary")
    data["users"] = [
        {"name": MACHINE_USER, "password": MACHINE_PASSWORD, "full_admin": True},
        {"name": SCP_USER, "password": SCP_PASSWORD, "full_admin": False},
    ]
    for host in data["hosts"]:
        account = scp_account if host["fqdn"] == SCP01 else MACHINE_USER
        host["logon"] = [account]
        host["admins"] = [account, "CONTOSO\\Domain Admins"]
    return data


class Unsafe(str):
    """A string AWX's safe_dump writes as `!unsafe`: Ansible never templates it."""


class UnsafeDumper(yaml.SafeDumper):
    pass


UnsafeDumper.add_representer(Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))


def safe_dump(data: dict[str, Any]) -> str:
    """AWX's safe_dump (awx/main/utils/safe_yaml.py) without a safe dict: every string value tagged !unsafe."""
    unsafe = {k: Unsafe(v) if isinstance(v, str) else v for k, v in data.items()}
    return yaml.dump(unsafe, Dumper=UnsafeDumper, sort_keys=False)


def injected_extra_vars(username: str, password: str) -> dict[str, str]:
    """The credential type's extra_vars injector rendered as AWX renders it: a sandboxed Jinja environment whose
    namespace is the credential's inputs."""
    kind = yaml.safe_load((AWX / "credential_type.yml").read_text(encoding="utf-8"))
    inputs = {"username": username, "password": password}
    assert {f["id"] for f in kind["inputs"]["fields"]} == set(inputs) == set(kind["inputs"]["required"])
    assert [f["id"] for f in kind["inputs"]["fields"] if f.get("secret")] == ["password"]
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    return {name: env.from_string(tmpl).render(**inputs) for name, tmpl in kind["injectors"]["extra_vars"].items()}


def survey_answers(**answers: str) -> dict[str, str]:
    """Answers to the job template's survey, checked against its spec (variables, choices) as AWX checks them."""
    spec = yaml.safe_load((AWX / "job_template.yml").read_text(encoding="utf-8"))["survey_spec"]["spec"]
    assert {q["variable"] for q in spec} == set(answers)
    for question in spec:
        if question["type"] == "multiplechoice":
            assert answers[question["variable"]] in question["choices"], question["variable"]
    return answers


def inventory_script(lab: Lab, scp_credential: bool = True) -> str:
    """AWX's inventory/hosts: a script printing the inventory as JSON. The task host has no credentials (the
    machine credential brings them); the SCP server's entry refers to the custom credential's extra variables
    (`scp_credential`), or has no credentials either."""
    data = lab.inventory()["all"]
    hostvars: dict[str, dict[str, Any]] = {}
    for name, hvars in data["hosts"].items():
        hvars = {k: v for k, v in hvars.items() if k not in ("ansible_user", "ansible_password")}
        if name == SCP01 and scp_credential:
            hvars.update(
                ansible_user="{{ configmgr_scp_host_user }}", ansible_password="{{ configmgr_scp_host_password }}"
            )
        hostvars[name] = hvars
    groups = {name: {"hosts": sorted(group["hosts"])} for name, group in data["children"].items()}
    script = {"all": {"children": sorted(groups)}, **groups, "_meta": {"hostvars": hostvars}}
    return f"#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint({json.dumps(script)!r})\n"


@dataclass
class Job:
    private_data_dir: Path
    artifacts: Path
    status: str
    events: list[dict[str, Any]]
    inputs: tuple[Path, ...]  # files the test wrote with secrets in them (AWX deletes them after the job)

    @property
    def stdout(self) -> str:
        return (self.artifacts / "stdout").read_text(encoding="utf-8")

    def stats(self) -> dict[str, Any]:
        (stats,) = [e["event_data"] for e in self.events if e.get("event") == "playbook_on_stats"]
        return stats

    def changed_tasks(self) -> list[str]:
        return [e["task"] for e in self.results("runner_on_ok") if e["res"].get("changed")]

    def results(self, event: str) -> list[dict[str, Any]]:
        """The event data of every `event` (runner_on_ok, runner_on_failed): task name and result."""
        return [e["event_data"] for e in self.events if e.get("event") == event]

    def output(self) -> str:
        return self.stdout[-6000:]


def run_job(
    lab: Lab, base: Path, tarball: Path, playbook: str, survey: dict[str, str], scp_password: str | None
) -> Job:
    """Lay out one AWX job's private data dir, run it with `ansible-runner run` and read its artifacts; without
    `scp_password` the job has the machine credential only."""
    ident = str(len(list(base.glob("job-*"))) + 1)
    pdd = base / f"job-{ident}"
    for folder in ("project", "inventory", "env"):
        (pdd / folder).mkdir(parents=True)
    for name in ("demo.yml", "scp.yml"):
        shutil.copy(AWX / "project" / name, pdd / "project" / name)
    collections = pdd / "requirements_collections"
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(collections)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    hosts = pdd / "inventory" / "hosts"
    hosts.write_text(inventory_script(lab, scp_credential=scp_password is not None), encoding="utf-8")
    hosts.chmod(0o700)
    meta = {"awx_job_id": int(ident), "awx_job_template_name": "ConfigMgr service connection point"}
    (pdd / "env" / "extravars").write_text(safe_dump({**meta, **survey}), encoding="utf-8")
    # CredentialType.inject_credential writes the injected extra vars to a temporary file of env/ and adds -e @file
    credential_vars = pdd / "env" / "tmp_credential"
    args = ["-u", MACHINE_USER, "--ask-pass"]
    if scp_password is not None:
        credential_vars.write_text(safe_dump(injected_extra_vars(SCP_USER, scp_password)), encoding="utf-8")
        args += ["-e", f"@{credential_vars}"]
    (pdd / "env" / "cmdline").write_text(args2cmdline(*args), encoding="utf-8")
    passwords = pdd / "env" / "passwords"
    passwords.write_text(json.dumps({SSH_PASSWORD_PROMPT: MACHINE_PASSWORD}), encoding="utf-8")
    envvars = {
        "JOB_ID": ident,
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_COLLECTIONS_PATH": f"{collections}:~/.ansible/collections:/usr/share/ansible/collections",
    }
    (pdd / "env" / "envvars").write_text(json.dumps(envvars), encoding="utf-8")
    # The test's own isolation: no checkout on the Python path (only the installed tarball may serve the
    # collection), Ansible's home and temp under the job, the venv's ansible-playbook first on PATH.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_HOME=str(pdd / "home"),
        ANSIBLE_LOCAL_TEMP=str(pdd / "tmp"),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False",
    )
    proc = subprocess.run(
        [str(BIN / "ansible-runner"), "run", str(pdd), "-p", playbook, "--ident", ident],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    artifacts = pdd / "artifacts" / ident
    assert (artifacts / "status").is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    events = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((artifacts / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-", 1)[0]))
    ]
    status = (artifacts / "status").read_text(encoding="utf-8").strip()
    return Job(pdd, artifacts, status, events, (passwords, credential_vars))


def assert_no_secret(job: Job, *secrets: str) -> None:
    """No secret in any file of the job's private data dir (artifacts: job events, stdout, fact cache, command, the
    runner's env copy), except the two inputs the test wrote with secrets in them, which AWX deletes after the job."""
    checked = 0
    for path in job.private_data_dir.rglob("*"):
        if not path.is_file() or path in job.inputs:
            continue
        data = path.read_bytes()
        checked += 1
        for secret in secrets:
            assert secret.encode() not in data, f"a password appears in {path.relative_to(job.private_data_dir)}"
    assert checked and list(job.artifacts.rglob("job_events/*.json")), "nothing was checked"


def assert_logons(lab: Lab) -> None:
    """Each host was logged on to with its own account: the task host with the machine credential's, the SCP server
    with the custom credential's."""
    users = {(logon["host"], logon["user"].lower()) for logon in lab.logons()}
    assert users == {(CM01, MACHINE_USER.lower()), (SCP01, SCP_USER.lower())}, users


def test_demo_and_survey_job_through_ansible_runner(tarball: Path, tmp_path: Path) -> None:
    with Lab(scenario(), scale=120) as lab:
        demo = run_job(lab, tmp_path, tarball, "demo.yml", {}, SCP_PASSWORD)
        assert demo.status == "successful", demo.output()
        stats = demo.stats()
        assert not stats["failures"] and not stats["dark"], demo.output()
        assert demo.changed_tasks() == [
            "Manage the service connection point",  # install online
            "Manage the service connection point",  # switch offline
            "Restart SMS_DMP_DOWNLOADER",
        ], demo.output()
        assert stats["changed"] == {CM01: 3}
        # the demo's tasks came from the installed tarball, not from this checkout
        paths = {
            e["event_data"]["task_path"].rsplit(":", 1)[0]
            for e in demo.events
            if e.get("event_data", {}).get("task_path")
        }
        installed = demo.private_data_dir / "requirements_collections" / "ansible_collections" / "configmgr" / "scp"
        assert str(installed / "playbooks" / "demo.yml") in paths, paths
        assert all(p.startswith(str(installed)) for p in paths), paths
        scp = lab.state()["scp"]
        assert scp["configured"] == {"server": SCP01, "site_code": "PS1", "mode": "Offline"}
        assert scp["effective_mode"] == "Offline" and scp["thread_state"] == "Running"
        assert_logons(lab)
        # AWX keeps the fact cache of a job (use_fact_cache): no module returns ansible_facts
        caches = list((demo.artifacts / "fact_cache").iterdir())
        assert caches and all(json.loads(c.read_text())["__payload__"] == "{}" for c in caches)
        assert_no_secret(demo, MACHINE_PASSWORD, SCP_PASSWORD)

        answers = survey_answers(scp_server=SCP01, scp_mode="online", scp_state="present")
        survey = run_job(lab, tmp_path, tarball, "scp.yml", answers, SCP_PASSWORD)
        assert survey.status == "successful", survey.output()
        assert survey.changed_tasks() == ["Manage the service connection point", "Restart SMS_DMP_DOWNLOADER"]
        assert lab.state()["scp"]["configured"] == {"server": SCP01, "site_code": "PS1", "mode": "Online"}
        assert_logons(lab)
        assert_no_secret(survey, MACHINE_PASSWORD, SCP_PASSWORD)


def test_wrong_scp_server_password_fails_the_job_clearly(tarball: Path, tmp_path: Path) -> None:
    """The preflight cannot check scp01 and warns (fail_on: error goes on); the site server installs the SCP, which
    needs no account of ours; the install's wait on scp01 then fails the job, naming the host and the account, with
    the change it made. A job with the corrected credential finishes the demo."""
    wrong = "Awx-Wrong-Pw-58!"
    with Lab(scenario(), scale=120) as lab:
        job = run_job(lab, tmp_path, tarball, "demo.yml", {}, wrong)
        assert job.status == "failed", job.output()
        preflight = [e["res"] for e in job.results("runner_on_ok") if e["task"] == PREFLIGHT]
        assert [r.get("status") for r in preflight] == ["warn"], job.output()
        assert f"cannot reach {SCP01}" in preflight[0]["warnings"][0]
        (failed,) = job.results("runner_on_failed")
        message = failed["res"]["msg"]
        assert failed["task"] == "Manage the service connection point", job.output()
        assert f"open a PowerShell session on {SCP01}: authentication failed" in message, message
        assert SCP_USER in message and "(a second host" in message, message
        assert failed["res"]["changed"] and [s["action"] for s in failed["res"]["steps_run"]] == ["add_scp"]
        assert job.stats()["failures"] == {CM01: 1} and not job.stats()["dark"], job.output()
        changes = [(c["host"], c["cmdlet"]) for c in lab.calls() if mutating([c])]
        assert [cmdlet for _host, cmdlet in changes if "-CM" in cmdlet] == ["Add-CMServiceConnectionPoint"], changes
        assert {host for host, _cmdlet in changes} == {CM01}, "nothing ran on scp01"
        assert {logon["host"] for logon in lab.logons()} == {CM01}, "no logon to scp01 was accepted"
        assert_no_secret(job, MACHINE_PASSWORD, wrong)

        fixed = run_job(lab, tmp_path, tarball, "demo.yml", {}, SCP_PASSWORD)
        assert fixed.status == "successful", fixed.output()
        assert lab.state()["scp"]["configured"] == {"server": SCP01, "site_code": "PS1", "mode": "Offline"}
        assert_logons(lab)
        assert_no_secret(fixed, MACHINE_PASSWORD, SCP_PASSWORD, wrong)


def test_the_machine_credential_reaches_an_scp_server_without_credentials_of_its_own(
    tarball: Path, tmp_path: Path
) -> None:
    """One account administers every machine: the job has the machine credential only, the SCP server's inventory
    entry sets no credentials, and it is reached with -u and the connection password, as ansible-core gives them
    to every host of the play."""
    with Lab(scenario(scp_account=MACHINE_USER), scale=120) as lab:
        job = run_job(lab, tmp_path, tarball, "demo.yml", {}, None)
        assert job.status == "successful", job.output()
        users = {(logon["host"], logon["user"].lower()) for logon in lab.logons()}
        assert users == {(CM01, MACHINE_USER.lower()), (SCP01, MACHINE_USER.lower())}, users
        assert_no_secret(job, MACHINE_PASSWORD)
