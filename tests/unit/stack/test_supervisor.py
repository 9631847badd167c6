"""slipway.stack.supervisor: ports, start order, readiness, failures and stopping, with real child
processes."""

from __future__ import annotations

import signal
import socket
import sys

import pytest

from slipway.errors import BadInput
from slipway.stack.supervisor import (
    ServiceFailed,
    ServiceGroup,
    ServiceSpec,
    check_ports,
    http_ok,
    port_in_use,
)
from tests.conftest import free_port


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def always() -> bool:
    return True


@pytest.fixture
def listening():
    """A port with a listening socket on 127.0.0.1 (something else owns it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_in_use_sees_a_listener(listening):
    assert port_in_use(listening)
    assert not port_in_use(free_port())


def test_a_taken_port_names_the_port_and_the_flag(listening):
    spec = ServiceSpec("prefect", ["x"], always, port=listening, port_flag="--prefect-port")
    with pytest.raises(BadInput, match=rf"port {listening} .*already in use.*--prefect-port"):
        check_ports([spec])


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_out_of_range_port_is_bad_input(port):
    with pytest.raises(BadInput, match=rf"--mlflow-port {port}: give a port between 1 and 65535"):
        check_ports([ServiceSpec("mlflow", ["x"], always, port=port, port_flag="--mlflow-port")])


def test_two_services_on_one_port_are_refused():
    port = free_port()
    specs = [
        ServiceSpec("prefect", ["x"], always, port=port, port_flag="--prefect-port"),
        ServiceSpec("mlflow", ["x"], always, port=port, port_flag="--mlflow-port"),
    ]
    with pytest.raises(BadInput, match="--mlflow-port .*same port as --prefect-port"):
        check_ports(specs)


def test_a_need_outside_the_list_is_refused(tmp_path):
    spec = ServiceSpec("worker", python("pass"), always, needs=("prefect",))
    with (
        ServiceGroup(tmp_path) as group,
        pytest.raises(ValueError, match=r"worker needs \['prefect'\]"),
    ):
        group.start([spec], timeout_s=5)


def test_a_child_that_exits_during_start_up_shows_its_log(tmp_path):
    spec = ServiceSpec(
        "broken",
        python("import sys; print('boom: bad config', flush=True); sys.exit(3)"),
        lambda: False,
    )
    with ServiceGroup(tmp_path, poll_s=0.1) as group, pytest.raises(ServiceFailed) as exc:
        group.start([spec], timeout_s=30)
    assert "broken exited with code 3" in str(exc.value)
    assert "boom: bad config" in str(exc.value)


def test_a_child_never_ready_times_out_and_is_stopped(tmp_path):
    spec = ServiceSpec("sleepy", python("import time; time.sleep(60)"), lambda: False)
    group = ServiceGroup(tmp_path, grace_s=5, poll_s=0.1)
    with group, pytest.raises(ServiceFailed, match=r"sleepy not ready after 1 s: see .*sleepy.log"):
        group.start([spec], timeout_s=1)
    assert group.running == {}


def test_a_missing_program_is_a_clear_error(tmp_path):
    spec = ServiceSpec("ghost", ["/nonexistent/slipway-ghost"], always)
    with (
        ServiceGroup(tmp_path) as group,
        pytest.raises(ServiceFailed, match="ghost: cannot run /nonexistent"),
    ):
        group.start([spec], timeout_s=5)


def test_http_service_starts_before_its_dependant_and_stops_with_the_port_freed(tmp_path):
    # given an HTTP server and a service that needs it
    port = free_port()
    events: list[str] = []
    web = ServiceSpec(
        "web",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        lambda: http_ok(f"http://127.0.0.1:{port}/"),
        port=port,
        on_ready=lambda: events.append("web ready"),
    )

    def helper_ready() -> bool:
        events.append("helper probed")
        return True

    helper = ServiceSpec(
        "helper", python("import time; time.sleep(60)"), helper_ready, needs=("web",)
    )
    group = ServiceGroup(tmp_path, grace_s=10, poll_s=0.1)
    # when they start
    group.start([helper, web], timeout_s=60)
    # then the dependant was probed only after the web server was ready, and both run
    assert events[0] == "web ready" and "helper probed" in events
    assert http_ok(f"http://127.0.0.1:{port}/")
    assert group.exited() is None
    codes = group.stop()
    assert list(codes) == ["helper", "web"]  # newest first
    assert all(code is not None for code in codes.values())
    assert not port_in_use(port)


def test_supervise_reports_the_first_child_to_exit(tmp_path):
    spec = ServiceSpec("short", python("import time; time.sleep(0.5)"), always)
    with ServiceGroup(tmp_path, poll_s=0.1) as group:
        group.start([spec], timeout_s=10)
        assert group.supervise() == ("short", 0)


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('armed', flush=True); time.sleep(60)"
    )
    armed = lambda: "armed" in (tmp_path / "stubborn.log").read_text()  # noqa: E731
    spec = ServiceSpec("stubborn", python(code), armed)
    group = ServiceGroup(tmp_path, grace_s=1, poll_s=0.1)
    group.start([spec], timeout_s=10)
    assert group.stop() == {"stubborn": -signal.SIGKILL}
