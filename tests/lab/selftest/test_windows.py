"""Simulated Windows host parts: registry watchers, services, files, network."""

from __future__ import annotations

import pytest

from tests.lab.windows.host import ServiceError, WindowsHost
from tests.lab.windows.network import Network
from tests.lab.world.clock import Clock

THREADS = "HKLM:\\SOFTWARE\\Microsoft\\SMS\\Components\\SMS_Executive\\Threads"


@pytest.fixture()
def host() -> WindowsHost:
    return WindowsHost("scp01.contoso.com", Clock())


def test_identity(host):
    assert (host.netbios, host.computer_account, host.getenv("computername")) == ("SCP01", "CONTOSO\\SCP01$", "SCP01")


def test_registry_paths_and_watchers(host):
    seen = []
    host.registry.watch(THREADS, lambda key, name, value: seen.append((key, name, value)))
    host.registry.set_value(f"{THREADS}\\SMS_DMP_DOWNLOADER", "Requested Operation", "Start")
    host.registry.set_value("HKLM:\\SOFTWARE\\Other", "x", 1, "DWord")  # outside the prefix: no callback
    assert seen == [
        (
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SMS\\Components\\SMS_Executive\\Threads\\SMS_DMP_DOWNLOADER",
            "Requested Operation",
            "Start",
        )
    ]
    key_path = (
        "Registry::HKEY_LOCAL_MACHINE\\software\\microsoft\\SMS\\components\\sms_executive\\threads\\sms_dmp_downloader"
    )
    assert host.registry.get_value(key_path, "requested operation") == ("Start", "String")
    assert host.registry.subkeys(THREADS) == ["SMS_DMP_DOWNLOADER"]
    with pytest.raises(ValueError):
        host.registry.set_value(THREADS, "x", 1, "Dword32")
    host.registry.delete_key("HKLM:\\SOFTWARE\\Microsoft", recurse=True)
    assert host.registry.get_key(THREADS) is None


def test_services_fire_listeners_and_can_fail(host):
    svc = host.add_service("SMS_EXECUTIVE", "SMS Agent Host")
    events = []
    svc.listeners.append(lambda s, action: events.append((s.name, action)))
    svc.restart()
    svc.stop()
    svc.stop()  # already stopped: no second event
    assert events == [("SMS_EXECUTIVE", "stop"), ("SMS_EXECUTIVE", "start"), ("SMS_EXECUTIVE", "stop")]
    assert svc.status == "Stopped"

    def veto(_service, _action):
        raise ServiceError("nope")

    svc.listeners.append(veto)
    with pytest.raises(ServiceError):
        svc.start()
    assert svc.status == "Stopped"


def test_files_are_case_insensitive_and_timestamped():
    clock = Clock()
    host = WindowsHost("scp01.contoso.com", clock)
    host.files.write("C:\\Program Files\\SMS\\Logs\\dmpdownloader.log", "line1\r\n")
    first = host.files.mtime("c:/program files/sms/logs/DMPDOWNLOADER.LOG")
    clock.advance(60)
    host.files.append("C:\\Program Files\\SMS\\Logs\\dmpdownloader.log", "line2\r\n")
    assert host.files.read("c:\\PROGRAM FILES\\sms\\logs\\dmpdownloader.log") == "line1\r\nline2\r\n"
    assert (host.files.mtime("C:\\Program Files\\SMS\\Logs\\dmpdownloader.log") - first).total_seconds() == 60
    listing = host.files.list("C:\\Program Files\\SMS")
    assert [(i.name, i.is_dir) for i in listing] == [("Logs", True)]
    host.files.remove("C:\\Program Files\\SMS")
    assert not host.files.exists("C:\\Program Files\\SMS\\Logs\\dmpdownloader.log")
    assert host.files.is_dir("C:\\Program Files")


def test_network_reach():
    net = Network(
        direct=["*.contoso.com"],
        proxies={"proxy.contoso.com:8080": ["*.microsoft.com"]},
        blocked_ports=["sql01.contoso.com:1433"],
    )
    assert net.reach("sccm01.contoso.com", 443)
    assert not net.reach("sql01.contoso.com", 1433)
    assert not net.reach("go.microsoft.com")
    assert net.reach("go.microsoft.com", proxy="http://PROXY.contoso.com:8080/")
    assert not net.reach("go.microsoft.com", proxy="other:3128")
