"""The lab's control API over HTTP on 127.0.0.1: inspect the world, move time, inject faults, expand a site."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.lab.world.faults import FAULT_STAGES

if TYPE_CHECKING:
    from tests.lab.lab import Lab


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lab: Lab

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: the lab's own call log is the record."""

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body, default=str, indent=1).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        return json.loads(self.rfile.read(length))

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        routes = {
            "/state": self.lab.state,
            "/calls": self.lab.calls,
            "/requests": self.lab.requests,
            "/inventory": self.lab.inventory,
            "/faults": self._faults,
        }
        handler = routes.get(self.path.split("?", 1)[0])
        if handler is None:
            self._reply(404, {"error": f"no route {self.path}", "routes": sorted(routes)})
            return
        self._reply(200, handler())

    def _faults(self) -> dict[str, Any]:
        """The fault kinds POST /faults takes (kind -> the stage that consumes it), pending and fired faults."""
        return {"kinds": dict(FAULT_STAGES), **self.lab.world.faults.to_json()}

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        try:
            body = self._body()
            path = self.path.split("?", 1)[0]
            if path == "/advance":
                self.lab.advance(float(body.get("seconds", 0)))
            elif path == "/faults":
                if body.get("clear"):
                    self.lab.clear_faults()
                else:
                    self.lab.add_fault(
                        body["kind"], host=body.get("host"), cmdlet=body.get("cmdlet"), nth=int(body.get("nth", 1))
                    )
            elif path == "/expand":
                self.lab.expand(body["site_code"], body["server"], body.get("site_name", "Central Administration Site"))
            elif path == "/clear":
                self.lab.clear_log()
            else:
                self._reply(404, {"error": f"no route {self.path}"})
                return
        except (KeyError, ValueError, TypeError) as exc:
            self._reply(400, {"error": f"{type(exc).__name__}: {exc}"})
            return
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A refused operation (e.g. expansion while the SCP is still installed) is the answer, not a crash.
            self._reply(409, {"error": str(exc)})
            return
        self._reply(200, {"ok": True, "now": str(self.lab.world.clock.now())})


class ControlServer:
    def __init__(self, lab: Lab, port: int = 0) -> None:
        handler = type("LabControlHandler", (_Handler,), {"lab": lab})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="lab-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
