"""Smoke tests of the serving peers benchmark (bench/serving_peers.py), so it cannot rot.

Only the parts that need no peer virtualenv run here: the table and ratio code, the argument
checks, wrk's output parsing, the pinned requirement files, the same-class check against a
real bare server, and the whole command for a fraction of a second on the bare server and
the slipway gateway (Python load generator) with the peers' venv folder pointed at an empty
temp folder that must stay empty. No timing is asserted: timings belong in bench/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.peers import load, report, venvs
from bench.peers.servers import ORDER, PEER_PACKAGES, Setup, start_bare
from bench.serving_peers import BARE, SLIPWAY, parse_args

REPO = Path(__file__).resolve().parents[2]


def _run(r: int, rps: float, p50: float = 1.0, n: int = 100, cpu: float | None = 0.01) -> dict:
    return {
        "round": r,
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": 3 * p50,
        "n": n,
        "errors": 0,
        "cpu_s": cpu,
    }


def test_ratios_are_ratios_of_the_median_req_s_at_the_same_connections():
    # given three rounds where the whole host slowed down in round 1
    cells = {
        (BARE, 8): [_run(0, 1000), _run(1, 500), _run(2, 900)],
        (SLIPWAY, 8): [_run(0, 600), _run(1, 300), _run(2, 450)],
        ("peer", 8): [_run(0, 200), _run(1, 150, p50=9.0), _run(2, 100)],
        (BARE, 1): [_run(0, 400)],
    }
    # when
    rows = report.summarize(cells, [BARE, SLIPWAY, "peer"], [1, 8], BARE, SLIPWAY)
    # then: rows by connections then label order; absent cells are skipped
    assert [(r.label, r.connections) for r in rows] == [
        (BARE, 1),
        (BARE, 8),
        (SLIPWAY, 8),
        ("peer", 8),
    ]
    slipway, peer = rows[2], rows[3]
    assert (slipway.rps, slipway.rps_min, slipway.rps_max) == (450, 300, 600)
    assert slipway.x_slipway == 1.0 and slipway.x_bare == pytest.approx(450 / 900)
    assert peer.x_bare == pytest.approx(150 / 900) and peer.x_slipway == pytest.approx(150 / 450)
    assert peer.p50_ms == 1.0  # the median round's p50, not the slow one's
    assert peer.cpu_us == pytest.approx(100.0)  # 0.01 s over 100 requests
    assert rows[0].x_slipway is None  # no slipway cell at 1 connection
    assert "| peer | 8 | 150 | 100-200 | 1.000 | 3.000 | 0.17 | 0.33 | 100 | 300 | 0 |" in (
        report.markdown(rows)
    )


def test_without_a_reference_server_the_ratio_columns_show_a_dash():
    cells = {("peer", 1): [_run(0, 100, cpu=None)]}
    rows = report.summarize(cells, ["peer"], [1], None, None)
    text = report.markdown(rows)
    line = text.splitlines()[2]
    assert line.split("|")[7:10] == [" - ", " - ", " - "]
    assert len(line.split("|")) == len(text.splitlines()[0].split("|"))


def test_parse_wrk_reads_the_result_line_of_post_lua():
    out = "Running 5s test\nRESULT 5000 2000000 3 150.0 4200.0\nmore"
    assert load.parse_wrk(out) == {
        "rps": 2500.0,
        "p50_ms": 0.15,
        "p99_ms": 4.2,
        "n": 5000,
        "errors": 3,
    }
    with pytest.raises(RuntimeError, match="no RESULT line"):
        load.parse_wrk("Running 5s test\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "bare,triton"], "--only triton: choose from"),
        (["--connections", "1,x"], "--connections"),
        (["--connections", "0"], "counts of 1 or more"),
        (["--candidate-dir", "/nonexistent/candidates"], "no such directory"),
    ],
)
def test_bad_arguments_are_refused_with_a_message_naming_them(argv, message, capsys):
    with pytest.raises(SystemExit):
        parse_args([*argv, "--load", "python"])
    assert message in capsys.readouterr().err


def test_only_keeps_the_table_order_and_connections_are_sorted():
    args = parse_args(["--only", "mlflow,bare", "--connections", "8,1", "--load", "python"])
    assert args.only == ["bare", "mlflow"] and args.connections == [1, 8]


def test_every_peer_has_pinned_requirements_with_slipways_onnxruntime_and_numpy():
    pins = dict(
        re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (REPO / "constraints.txt").read_text(), re.M)
    )
    assert set(PEER_PACKAGES) == set(ORDER) - {"bare", "slipway"}
    for peer, package in PEER_PACKAGES.items():
        lines = [
            ln
            for ln in venvs.requirements_file(peer).read_text().splitlines()
            if ln and not ln.startswith("#")
        ]
        assert all("==" in ln for ln in lines), f"{peer}: every requirement pinned"
        req = dict(ln.split("==", 1) for ln in lines)
        assert package in req, peer
        for shared in ("onnxruntime", "numpy"):
            assert req[shared] == pins[shared], f"{peer}: {shared} as in constraints.txt"
    mlserver = venvs.requirements_file("mlserver").read_text()
    assert "uvloop==0.21.0" in mlserver  # 1.7.1's workers crash with uvloop 0.23


def test_a_changed_requirements_file_makes_the_venv_stale(tmp_path):
    (tmp_path / "mlserver").mkdir()
    assert not venvs.is_current("mlserver", tmp_path)
    digest = venvs._digest(venvs.requirements_file("mlserver"))
    (tmp_path / "mlserver" / venvs.STAMP).write_text(digest + "\n")
    assert venvs.is_current("mlserver", tmp_path)
    (tmp_path / "mlserver" / venvs.STAMP).write_text("0" * 64 + "\n")
    assert not venvs.is_current("mlserver", tmp_path)


def test_the_class_check_names_the_server_and_row_that_disagree(candidate_dir, tmp_path):
    import numpy as np

    from bench.peers.ort_session import Model

    model = candidate_dir / "ort-int8-dynamic" / "model.onnx"
    rows = np.random.default_rng(0).uniform(0, 16, (3, 64)).round(1).tolist()
    expected = Model(str(model)).run(np.asarray(rows, dtype=np.float32))[0].tolist()
    proc, [target] = start_bare(
        Setup(model=model, model_name="-", slipway_home=tmp_path, work=tmp_path)
    )
    try:
        load.check_classes(target, rows, expected)  # the real server agrees with the file
        wrong = [*expected[:2], (expected[2] + 1) % 10]
        with pytest.raises(load.CheckFailed, match=r"bare Starlette .*check row 2 predicted"):
            load.check_classes(target, rows, wrong)
    finally:
        proc.stop()
    assert proc.proc.poll() is not None


def _bench(*argv: str, venvs_dir: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TMPDIR": str(venvs_dir.parent),  # a failed run keeps its work folder: keep it in tmp_path
        "SLIPWAY_BENCH_VENVS": str(venvs_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    script = str(REPO / "bench" / "serving_peers.py")
    return subprocess.run(
        [sys.executable, script, *argv], env=env, capture_output=True, text=True, timeout=300
    )


def test_a_directory_without_a_manifest_stops_the_bench_with_one_line(tmp_path):
    (tmp_path / "not-candidates").mkdir()
    argv = f"--candidate-dir {tmp_path / 'not-candidates'} --only bare --load python"
    done = _bench(*argv.split(), venvs_dir=tmp_path / "venvs")
    assert done.returncode == 1
    assert "not-candidates: no manifest.json" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_command_runs_bare_and_slipway_without_creating_a_peer_venv(candidate_dir, tmp_path):
    venvs_dir, out = tmp_path / "venvs", tmp_path / "table.md"
    argv = (
        f"--only slipway,bare --candidate-dir {candidate_dir} --duration 0.3 --warmup 0 "
        f"--rounds 1 --connections 1,2 --load python --check-rows 4 --out {out}"
    )
    done = _bench(*argv.split(), venvs_dir=venvs_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "every server returned the same classes on 4 rows" in done.stderr
    assert not venvs_dir.exists()
    table = out.read_text()
    assert table in done.stdout
    rows = {
        tuple(c.strip() for c in line.split("|")[1:3]): line.split("|")
        for line in table.splitlines()
        if re.match(r"\| [^|]+ \| \d+ \|", line)
    }
    for conns in ("1", "2"):
        assert rows[(BARE, conns)][7].strip() == "1.00"  # x bare of bare
        assert rows[(SLIPWAY, conns)][8].strip() == "1.00"  # x slipway of slipway
        assert ("slipway gateway, defaults, OIP v2", conns) in rows
        assert all(cells[11].strip() == "0" for cells in rows.values())  # failed requests
    assert "`onnx-fp32`" in table  # no selection in this manifest: the first accepted ORT one
