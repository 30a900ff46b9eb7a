"""Run outputs: trace.csv, summary.json, PNG plots and report.md, plus a terminal summary.

A trace is a mapping column → 1-D array, one row per millisecond; `TraceRecorder` builds one.
Columns (TRACE_COLUMNS: name, decimals, unit/meaning); the first 17 are required, the others
are written when present:

    t_s                 s     plant time
    vehicle_speed_kph   km/h  true vehicle speed
    torque_request_Nm   N·m   VCU torque request (CAN)
    torque_Nm           N·m   true air-gap torque
    id_A, iq_A          A     true dq currents (amplitude-invariant)
    id_ref_A, iq_ref_A  A     inverter firmware's current references (NaN when not modulating)
    pack_current_A      A     true pack current, + = discharge
    pack_voltage_V      V     true pack terminal voltage
    soc_true_pct        %     mean true SOC of the cells
    soc_est_pct         %     BMS firmware's SOC estimate
    cell_v_min_V/max_V  V     true lowest / highest cell voltage
    contactor_state     bits  feedback: 1 negative main, 2 positive main, 4 precharge
    inverter_state      enum  inverter firmware state (from its status frame)
    bms_state           enum  BMS firmware state
  optional: speed_target_kph, link_voltage_V, brake_force_N, distance_m, motor_speed_rpm,
    module_temp_max_C, motor_temp_C, inverter_temp_C, soc_true_min_pct, vcu_state,
    power_stage_mode, inverter_fault_code (last control period of the millisecond),
    bms_discharge_limit_A, bms_charge_limit_A (BMS_Limits decoded from the bus; NaN before it)

CSV formatting is fixed (decimals per column, "nan" for missing values, "-0" normalised,
"\\n" line ends), so two identical runs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .metrics import (Expectation, ExpectationResult, Trace, as_trace_dict,
                      evaluate_expectations)

TRACE_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("t_s", 3, "s, plant time"),
    ("vehicle_speed_kph", 3, "km/h, true vehicle speed"),
    ("torque_request_Nm", 2, "N·m, VCU torque request"),
    ("torque_Nm", 2, "N·m, true air-gap torque"),
    ("id_A", 2, "A, true d-axis current"),
    ("iq_A", 2, "A, true q-axis current"),
    ("id_ref_A", 2, "A, firmware d-axis reference"),
    ("iq_ref_A", 2, "A, firmware q-axis reference"),
    ("pack_current_A", 3, "A, true pack current, + = discharge"),
    ("pack_voltage_V", 3, "V, true pack terminal voltage"),
    ("soc_true_pct", 4, "%, mean true cell SOC"),
    ("soc_est_pct", 4, "%, BMS estimate"),
    ("cell_v_min_V", 4, "V, lowest true cell voltage"),
    ("cell_v_max_V", 4, "V, highest true cell voltage"),
    ("contactor_state", 0, "bits: 1 negative main, 2 positive main, 4 precharge (feedback)"),
    ("inverter_state", 0, "inverter firmware state"),
    ("bms_state", 0, "BMS firmware state"),
    ("speed_target_kph", 3, "km/h, driver's target"),
    ("link_voltage_V", 3, "V, true DC-link voltage"),
    ("brake_force_N", 1, "N, mechanical brake force"),
    ("distance_m", 3, "m, distance travelled"),
    ("motor_speed_rpm", 1, "rpm, motor shaft speed"),
    ("module_temp_max_C", 3, "°C, hottest module"),
    ("motor_temp_C", 3, "°C, motor winding"),
    ("inverter_temp_C", 3, "°C, inverter heatsink"),
    ("soc_true_min_pct", 4, "%, lowest true cell SOC"),
    ("vcu_state", 0, "VCU state (vehicle_controller.VcuState)"),
    ("power_stage_mode", 0, "inverter power stage: 0 off, 1 modulating, 2 active short circuit"),
    ("inverter_fault_code", 0, "inverter firmware fault code (0 = none)"),
    ("bms_discharge_limit_A", 1, "A, discharge current limit in the last BMS_Limits frame"),
    ("bms_charge_limit_A", 1, "A, charge current limit in the last BMS_Limits frame"),
)
REQUIRED_COLUMNS = tuple(c[0] for c in TRACE_COLUMNS[:17])
# Written by battery-only runs in addition (the BMS's own channels and the plant's truth the
# BMS checks are scored against; docs/bms-ecu.md lists the channels).
BATTERY_TRACE_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("soc_true_max_pct", 4, "%, highest true cell SOC"),
    ("capacity_true_Ah", 3, "Ah, mean true cell-group capacity"),
    ("soh_capacity_pct", 3, "%, BMS SOH capacity estimate (channel 1)"),
    ("bms_contactor_command", 0, "BMS contactor command bits (channel 3)"),
    ("bms_balancing_cells", 0, "cells the BMS bleeds (channel 11)"),
    ("bms_fault_code", 0, "BMS active fault code (channel 12)"),
    ("bms_restarts", 0, "BMS ECU resets so far (rig fault ecu_reset)"),
)
_DECIMALS = {name: d for name, d, _ in TRACE_COLUMNS + BATTERY_TRACE_COLUMNS}


class TraceRecorder:
    """Collects rows (dicts of column → value) into growing float arrays. Columns not given
    in a row are NaN for that row."""

    def __init__(self, columns: Sequence[str] | None = None, capacity: int = 4096) -> None:
        self.columns = list(columns) if columns is not None else [c[0] for c in TRACE_COLUMNS]
        self._data = np.full((capacity, len(self.columns)), np.nan)
        self._index = {c: i for i, c in enumerate(self.columns)}
        self.rows = 0

    def append(self, row: Mapping[str, float]) -> None:
        if self.rows == self._data.shape[0]:
            grown = np.full((2 * self.rows, len(self.columns)), np.nan)
            grown[: self.rows] = self._data
            self._data = grown
        r = self._data[self.rows]
        idx = self._index
        for k, v in row.items():
            i = idx.get(k)
            if i is not None:
                r[i] = float(v)
        self.rows += 1

    def update_last(self, values: Mapping[str, float]) -> None:
        """Adds columns to the last row appended."""
        r = self._data[self.rows - 1]
        idx = self._index
        for k, v in values.items():
            i = idx.get(k)
            if i is not None:
                r[i] = v

    def as_dict(self) -> dict[str, np.ndarray]:
        return {c: self._data[: self.rows, i].copy() for i, c in enumerate(self.columns)}

    def as_structured(self) -> np.ndarray:
        """The trace as a numpy structured array (one float64 field per column)."""
        out = np.empty(self.rows, dtype=[(c, np.float64) for c in self.columns])
        for i, c in enumerate(self.columns):
            out[c] = self._data[: self.rows, i]
        return out


def trace_columns(trace: Trace) -> list[str]:
    """The columns to write, in TRACE_COLUMNS order then any others alphabetically."""
    missing = [c for c in REQUIRED_COLUMNS if c not in trace]
    if missing:
        raise ValueError(f"trace lacks required columns: {', '.join(missing)}")
    known = [c[0] for c in TRACE_COLUMNS + BATTERY_TRACE_COLUMNS if c[0] in trace]
    extra = sorted(c for c in trace if c not in _DECIMALS)
    return known + extra


def write_trace_csv(trace: Trace | np.ndarray, path: str | Path) -> Path:
    trace = as_trace_dict(trace)
    cols = trace_columns(trace)
    arrays = [np.asarray(trace[c], dtype=float) for c in cols]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("trace columns have different lengths")
    text_cols = [_format_column(a, _DECIMALS.get(c, 6)) for a, c in zip(arrays, cols)]
    lines = [",".join(cols)]
    lines.extend(",".join(row) for row in zip(*text_cols))
    p = Path(path)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return p


def _format_column(values: np.ndarray, decimals: int) -> list[str]:
    """Fixed decimals, "nan"/"inf"/"-inf", and no "-0.000" (same as _fmt, per column)."""
    spec = f".{decimals}f"
    out = [format(x, spec) for x in values.tolist()]
    neg_zero = "-" + format(0.0, spec)
    if neg_zero in out:
        zero = neg_zero[1:]
        out = [zero if x == neg_zero else x for x in out]
    return out


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _json_value(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def write_summary_json(path: str | Path, scenario_name: str, metrics: Mapping[str, float],
                       results: Sequence[ExpectationResult],
                       extra: Mapping[str, Any] | None = None) -> Path:
    doc = {
        "scenario": scenario_name,
        "passed": all(r.passed for r in results),
        "metrics": {k: _json_value(v) for k, v in sorted(metrics.items())},
        "expectations": [
            {"metric": r.expectation.metric, "op": r.expectation.op,
             "bound": _json_value(r.expectation.bound),
             "tolerance": _json_value(r.expectation.tolerance),
             "value": _json_value(r.value), "passed": r.passed, "note": r.note}
            for r in results
        ],
    }
    if extra:
        doc["run"] = {k: _json_value(v) for k, v in sorted(extra.items())}
    p = Path(path)
    p.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return p


# ---- plots -------------------------------------------------------------------------------
_PLOTS: tuple[tuple[str, str, tuple[tuple[str, str], ...], str], ...] = (
    ("speed.png", "Vehicle speed", (("speed_target_kph", "target"),
                                    ("vehicle_speed_kph", "actual")), "km/h"),
    ("torque.png", "Torque", (("torque_request_Nm", "request"), ("torque_Nm", "actual")), "N·m"),
    ("currents_dq.png", "dq currents", (("id_ref_A", "id ref"), ("id_A", "id"),
                                        ("iq_ref_A", "iq ref"), ("iq_A", "iq")), "A"),
    ("soc.png", "State of charge", (("soc_true_pct", "true (mean)"),
                                    ("soc_est_pct", "BMS estimate")), "%"),
    ("cell_voltages.png", "Cell voltage extremes", (("cell_v_min_V", "min"),
                                                    ("cell_v_max_V", "max")), "V"),
)


def write_plots(trace: Trace | np.ndarray, out_dir: str | Path) -> list[Path]:
    trace = as_trace_dict(trace)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    t = np.asarray(trace["t_s"], dtype=float)
    written = []
    for fname, title, series, unit in _PLOTS:
        fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
        for col, label in series:
            if col in trace:
                y = np.asarray(trace[col], dtype=float)
                if not np.all(np.isnan(y)):
                    ax.plot(t, y, label=label, linewidth=1.0)
        ax.set_title(title)
        ax.set_xlabel("t (s)")
        ax.set_ylabel(unit)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        p = out / fname
        fig.savefig(p, metadata={"Software": None})
        plt.close(fig)
        written.append(p)
    fig, ax1 = plt.subplots(figsize=(8, 3.2), dpi=100)
    ax1.plot(t, np.asarray(trace["pack_current_A"], dtype=float), color="tab:red", linewidth=1.0,
             label="current")
    ax1.set_ylabel("current (A, + discharge)", color="tab:red")
    ax1.set_xlabel("t (s)")
    ax1.grid(True, alpha=0.3)
    ax2 = ax1.twinx()
    ax2.plot(t, np.asarray(trace["pack_voltage_V"], dtype=float), color="tab:blue",
             linewidth=1.0, label="voltage")
    ax2.set_ylabel("voltage (V)", color="tab:blue")
    ax1.set_title("Pack current and voltage")
    fig.tight_layout()
    p = out / "pack.png"
    fig.savefig(p, metadata={"Software": None})
    plt.close(fig)
    written.append(p)
    return written


def _metric_str(v: float) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{v:.4g}"


def summary_rows(results: Sequence[ExpectationResult]) -> list[tuple[str, str, str, str]]:
    rows = []
    for r in results:
        e = r.expectation
        bound = f"{e.op} {e.bound:g}" + (f" ± {e.tolerance:g}" if e.op == "==" and e.tolerance
                                         else "")
        verdict = "PASS" if r.passed else ("FAIL (" + r.note + ")" if r.note else "FAIL")
        rows.append((e.metric, _metric_str(r.value), bound, verdict))
    return rows


def write_report_md(path: str | Path, scenario_name: str, metrics: Mapping[str, float],
                    results: Sequence[ExpectationResult], plots: Iterable[Path],
                    description: str = "") -> Path:
    passed = all(r.passed for r in results)
    lines = [f"# HIL run: {scenario_name}", ""]
    if description:
        lines += [description.strip(), ""]
    lines += [f"**Result: {'PASS' if passed else 'FAIL'}** "
              f"({sum(r.passed for r in results)}/{len(results)} expectations met)", ""]
    lines += ["| metric | value | bound | result |", "|---|---|---|---|"]
    lines += [f"| {m} | {v} | {b} | {x} |" for m, v, b, x in summary_rows(results)]
    lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_metric_str(v)} |" for k, v in sorted(metrics.items())]
    lines += ["", "## Plots", ""]
    for p in plots:
        lines += [f"![{Path(p).stem}]({Path(p).name})", ""]
    lines += ["Trace: [trace.csv](trace.csv) (one row per millisecond); "
              "summary: [summary.json](summary.json).", ""]
    out = Path(path)
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def write_report(out_dir: str | Path, trace: Trace | np.ndarray, metrics: Mapping[str, float],
                 expectations: Sequence[Expectation], scenario_name: str,
                 description: str = "", extra: Mapping[str, Any] | None = None,
                 plots: bool = True) -> dict[str, Any]:
    """Writes trace.csv, summary.json, the PNG plots and report.md into out_dir. Returns
    {"results": [ExpectationResult], "passed": bool, "files": {name: Path},
     "trace_sha256": str}."""
    trace = as_trace_dict(trace)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = evaluate_expectations(list(expectations), metrics)
    files: dict[str, Path] = {}
    files["trace.csv"] = write_trace_csv(trace, out / "trace.csv")
    digest = file_sha256(files["trace.csv"])
    run = dict(extra or {})
    run["trace_sha256"] = digest
    files["summary.json"] = write_summary_json(out / "summary.json", scenario_name, metrics,
                                               results, run)
    pngs = write_plots(trace, out) if plots else []
    for p in pngs:
        files[p.name] = p
    files["report.md"] = write_report_md(out / "report.md", scenario_name, metrics, results,
                                         pngs, description)
    return {"results": results, "passed": all(r.passed for r in results), "files": files,
            "trace_sha256": digest}


def print_summary(scenario_name: str, results: Sequence[ExpectationResult],
                  file: Any = None, plain: bool = False) -> None:
    """Prints the expectation table to the terminal (rich when available and not plain)."""
    rows = summary_rows(results)
    passed = all(r.passed for r in results)
    if not plain:
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            plain = True
    if not plain:
        table = Table(title=f"{scenario_name}: {'PASS' if passed else 'FAIL'}")
        for h in ("metric", "value", "bound", "result"):
            table.add_column(h)
        for m, v, b, x in rows:
            table.add_row(m, v, b, f"[green]{x}[/green]" if x == "PASS" else f"[red]{x}[/red]")
        Console(file=file).print(table)
        return
    import sys
    f = file or sys.stdout
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(("metric", "value", "bound", "result"))]
    print(f"{scenario_name}: {'PASS' if passed else 'FAIL'}", file=f)
    for r in [("metric", "value", "bound", "result")] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip(), file=f)
