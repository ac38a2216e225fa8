"""site_expansion.yml when the primary's SMS Provider refuses the logon while the playbook waits for setup (step 3).

The lab path of the playbook calls the lab's control API for step 2 (/expand, /advance). Here that URL points at a
small stand-in that forwards both calls to the lab and, after /advance, arms a refused logon on cm01: the next
session to cm01 is the first read of step 3. The play must end with that read's own error (the host is unreachable:
the logon was refused), not with an error in the task's `until` expression, and it must not retry a refused logon.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runner import assert_no_secret, output, playbook, recap, run_playbook
from tests.lab.lab import Lab

pytestmark = pytest.mark.timeout(300)


class _Setup(BaseHTTPRequestHandler):
    """/expand and /advance as the lab's control API answers them, then a refused logon on cm01."""

    lab: Lab

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        pass

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path == "/expand":
            self.lab.expand(body["site_code"], body["server"])
        elif self.path == "/advance":
            self.lab.advance(float(body.get("seconds", 0)))
            self.lab.add_fault("fail_auth", host="cm01.contoso.com")
        data = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(name="setup_url")
def fixture_setup_url(request: pytest.FixtureRequest) -> Iterator[str]:
    lab = request.getfixturevalue("lab")
    handler = type("Setup", (_Setup,), {"lab": lab})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(name="lab")
def fixture_lab() -> Iterator[Lab]:
    with Lab("expansion", scale=120) as lab:
        yield lab


def test_a_refused_logon_while_waiting_shows_the_real_error(lab: Lab, setup_url: str, tmp_path: Path) -> None:
    proc = run_playbook(
        lab,
        tmp_path,
        playbook("site_expansion.yml"),
        "-e",
        "site_expansion_primary=cm01.contoso.com",
        "-e",
        "site_expansion_cas_server=cas01.contoso.com",
        "-e",
        f"site_expansion_lab_control_url={setup_url}",
        "-e",
        "site_expansion_wait_timeout=20",
        "-e",
        "site_expansion_poll_interval=1",
    )
    text = proc.stdout + proc.stderr
    print(text[-5000:])
    assert proc.returncode != 0, output(proc)
    assert "An 'until' expression failed" not in text and "has no attribute 'hierarchy'" not in text, output(proc)
    step3 = proc.stdout.split("TASK [Step 3: wait until the expansion has finished]", 1)[1]
    assert "UNREACHABLE!" in step3, output(proc)
    assert "cm01.contoso.com" in step3 and "Check ansible_user/ansible_password" in step3, output(proc)
    assert "FAILED - RETRYING" not in step3, "a refused logon is not retried"
    assert recap(proc)["cm01.contoso.com"]["unreachable"] == 1, output(proc)
    assert lab.state()["scp"]["configured"] is None, "step 4 did not run"
    assert_no_secret(lab, proc)
