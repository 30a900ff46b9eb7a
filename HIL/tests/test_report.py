"""Reports: files written, deterministic trace bytes, expectations evaluated."""

import io
import json
import math

import numpy as np
import pytest

from kairo_hil.metrics import Expectation, compute_metrics, evaluate_expectations
from kairo_hil.report import (REQUIRED_COLUMNS, TraceRecorder, print_summary, write_report,
                              write_trace_csv)

from conftest import run_drive


@pytest.fixture(scope="module")
def drive_trace():
    trace, _ = run_drive(seconds=1.5, seed=11)
    return trace


def test_report_writes_trace_summary_plots_and_markdown(tmp_path, drive_trace):
    metrics = compute_metrics(drive_trace)
    exp = [Expectation("max_phase_current_A", "<=", 400.0),
           Expectation("time_to_hv_ready_s", "<", 0.001)]
    out = write_report(tmp_path, drive_trace, metrics, exp, "unit", description="a test run")
    names = {"trace.csv", "summary.json", "report.md", "speed.png", "torque.png",
             "currents_dq.png", "soc.png", "cell_voltages.png", "pack.png"}
    assert names <= {p.name for p in tmp_path.iterdir()}
    for n in names:
        assert (tmp_path / n).stat().st_size > 0
    lines = (tmp_path / "trace.csv").read_text().splitlines()
    assert lines[0].split(",")[:17] == list(REQUIRED_COLUMNS)
    assert len(lines) == 1 + 1500
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["passed"] is False and out["passed"] is False
    assert [e["passed"] for e in summary["expectations"]] == [True, False]
    assert summary["run"]["trace_sha256"] == out["trace_sha256"]
    md = (tmp_path / "report.md").read_text()
    assert "![speed](speed.png)" in md and "| max_phase_current_A |" in md


def test_two_identical_runs_give_byte_identical_traces_and_another_seed_does_not(tmp_path):
    hashes = []
    for i, seed in enumerate((5, 5, 6)):
        trace, _ = run_drive(seconds=0.6, seed=seed)
        d = tmp_path / str(i)
        d.mkdir()
        hashes.append(write_report(d, trace, compute_metrics(trace), [], "h",
                                   plots=False)["trace_sha256"])
    assert hashes[0] == hashes[1]
    assert hashes[0] != hashes[2]


def test_csv_uses_fixed_decimals_nan_and_no_negative_zero(tmp_path):
    trace = {c: np.array([0.0, -0.0001, math.nan]) for c in REQUIRED_COLUMNS}
    trace["t_s"] = np.array([0.0, 0.001, 0.002])
    trace["vehicle_speed_kph"] = np.array([1.23456, -0.0004, 2.0])
    text = write_trace_csv(trace, tmp_path / "t.csv").read_text()
    rows = [r.split(",") for r in text.splitlines()[1:]]
    assert rows[0][1] == "1.235" and rows[1][1] == "0.000" and rows[2][4] == "nan"
    assert rows[1][14] == "0"  # contactor_state has no decimals


def test_missing_required_column_is_refused(tmp_path):
    trace = {c: np.zeros(2) for c in REQUIRED_COLUMNS if c != "bms_state"}
    with pytest.raises(ValueError, match="bms_state"):
        write_trace_csv(trace, tmp_path / "t.csv")


def test_expectations_pass_fail_equality_with_tolerance_and_not_computed():
    metrics = {"a": 1.0, "b": 5.0, "c": math.nan}
    res = evaluate_expectations([Expectation("a", "<", 2.0), Expectation("b", ">=", 6.0),
                                 Expectation("b", "==", 5.05, 0.1), Expectation("c", "<", 1.0),
                                 Expectation("d", ">", 0.0)], metrics)
    assert [r.passed for r in res] == [True, False, True, False, False]
    assert res[3].note == "not computed" and res[4].note == "not computed"


def test_metrics_from_a_synthetic_trace_match_hand_computed_values():
    t = np.arange(0, 1.0, 0.001)
    tr = {"t_s": t, "vehicle_speed_kph": np.full_like(t, 36.0),
          "speed_target_kph": np.full_like(t, 37.5), "pack_current_A": np.full_like(t, 10.0),
          "pack_voltage_V": np.full_like(t, 360.0), "soc_true_pct": 80.0 - t,
          "soc_est_pct": 80.0 - 0.5 * t, "contactor_state": np.where(t >= 0.25, 3.0, 0.0)}
    m = compute_metrics(tr)
    assert m["max_speed_error_kph"] == pytest.approx(1.5)
    assert m["distance_m"] == pytest.approx(10.0, rel=1e-9)
    assert m["energy_out_kWh"] == pytest.approx(3600.0 / 3.6e6, rel=1e-9)
    assert m["max_soc_error_pct"] == pytest.approx(0.4995)
    assert m["time_to_hv_ready_s"] == pytest.approx(0.25)
    assert math.isnan(m["max_iq_error_A"])


def test_terminal_summary_lists_every_expectation_with_its_verdict():
    res = evaluate_expectations([Expectation("a", "<", 2.0), Expectation("b", ">", 9.0)],
                                {"a": 1.0, "b": 5.0})
    buf = io.StringIO()
    print_summary("demo", res, file=buf, plain=True)
    out = buf.getvalue()
    assert "demo: FAIL" in out and "PASS" in out and "FAIL" in out.splitlines()[-1]
    buf = io.StringIO()
    print_summary("demo", res, file=buf)
    assert "demo: FAIL" in buf.getvalue()


def test_recorder_grows_and_fills_missing_columns_with_nan():
    rec = TraceRecorder(["t_s", "x"], capacity=2)
    for k in range(5):
        rec.append({"t_s": k} if k % 2 else {"t_s": k, "x": 1.0})
    d = rec.as_dict()
    assert list(d["t_s"]) == [0, 1, 2, 3, 4] and np.isnan(d["x"][1]) and d["x"][2] == 1.0


def test_structured_array_trace_writes_the_same_csv_as_the_dict(tmp_path, drive_trace):
    rec = TraceRecorder(list(drive_trace))
    for r in range(50):
        rec.append({k: v[r] for k, v in drive_trace.items()})
    a = write_trace_csv(rec.as_dict(), tmp_path / "a.csv").read_bytes()
    b = write_trace_csv(rec.as_structured(), tmp_path / "b.csv").read_bytes()
    assert a == b
    assert compute_metrics(rec.as_structured())["duration_s"] == pytest.approx(0.049)
