"""The scaled stack's plan, read from the shipped deploy/ files (backend/scale.py); nginx accepts the rendered site."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys

import pytest

from backend import scale
from backend.settings import Settings


@pytest.fixture
def stack_settings(tmp_path):
    return scale.scaled(Settings(data_dir=tmp_path, secret_key="k", port=9000))


def test_the_target_wants_two_web_two_workers_a_scheduler_and_the_simulator(stack_settings):
    units = scale.plan(stack_settings)
    names = [u.name for u in units]
    assert names == ["fapiao-web@8101", "fapiao-web@8102", "fapiao-worker@1", "fapiao-worker@2",
                     "fapiao-scheduler", "fapiao-simulator"]
    web, _, worker, _, sched, _ = units
    assert web.argv == (sys.executable, "-m", "backend.cli", "serve")
    assert web.env == {"FAPIAO_PORT": "9101", "FAPIAO_HOST": "127.0.0.1", "FAPIAO_PROXY_HOPS": "1"}
    assert scale.web_ports(units) == [9101, 9102]  # the deployed 8101/8102 moved with the stack's port
    assert worker.env == {"FAPIAO_WORKERS": "1"} and worker.stop_signal == signal.SIGINT
    assert sched.argv[-1] == "scheduler"


def test_an_external_authority_leaves_the_simulator_out(stack_settings):
    names = [u.name for u in scale.plan(stack_settings.with_(simulator_url="http://authority.example:9"))]
    assert "fapiao-simulator" not in names and len(names) == 5


def test_defaults_are_this_machines_services(tmp_path):
    s = scale.scaled(Settings(data_dir=tmp_path, secret_key="k"))
    assert (s.database_url, s.redis_url, s.simulator_url) == (
        scale.DEFAULT_DATABASE_URL, scale.DEFAULT_REDIS_URL, "http://127.0.0.1:8001")
    env = scale.environment(s)
    assert env["FAPIAO_DATABASE_URL"] == s.database_url and "FAPIAO_SECRET_KEY" not in env


def test_a_unit_that_runs_something_else_is_refused(tmp_path):
    (tmp_path / "systemd").mkdir()
    (tmp_path / "systemd" / "fapiao-x.service").write_text("[Service]\nExecStart=/bin/sh -c 'rm -rf /'\n")
    with pytest.raises(scale.ScaleError, match="ExecStart"):
        scale.load_unit("fapiao-x.service", tmp_path)


def test_the_site_is_rendered_with_this_stacks_ports():
    site = (scale.DEPLOY / "nginx" / "fapiao.conf").read_text()
    out = scale.render_site(site, 9000, [9101, 9102, 9103])
    assert "listen 9000;" in out and "listen 8000;" not in out
    assert out.count("server 127.0.0.1:") == 3
    assert "server 127.0.0.1:9103 max_fails=1 fail_timeout=5s;" in out
    assert "hash $fapiao_sticky consistent;" in out  # sticky on the sign-in cookie, for Socket.IO
    assert "\n    server 127.0.0.1:8101" not in out


@pytest.mark.skipif(not shutil.which("nginx") and not scale.Path(scale.NGINX).exists(), reason="nginx not installed")
def test_nginx_accepts_the_configuration(tmp_path):
    conf = scale.write_nginx(tmp_path, 9000, [9101, 9102])
    done = subprocess.run([scale.NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    child = scale.nginx_child(tmp_path, conf)
    assert child.argv[-2:] == ["-g", "daemon off;"]


def test_systemd_parsing_keeps_repeated_keys_in_order():
    parsed = scale.parse_unit("# c\n[Unit]\nWants=a b\nWants=c\n[Service]\nEnvironment=X=1=2\n")
    assert parsed["Unit"] == [("Wants", "a b"), ("Wants", "c")]
    assert parsed["Service"] == [("Environment", "X=1=2")]
