"""Every frame the ECUs put on the bus in a short drive decodes with cantools against the DBC,
with every signal inside its DBC minimum and maximum: the firmware's generated codec and the
DBC agree on the wire, not just in the codec's own unit tests."""

import subprocess
import sys
from pathlib import Path

import can
import cantools

ROOT = Path(__file__).resolve().parents[2]
DBC = ROOT / "Network" / "kairo.dbc"

# Key on, precharge, pull away to 15 km/h and brake again: motoring and regeneration, both ECUs
# in every state they reach in a drive, within 3 s of simulated time.
SCENARIO = """
name: can-log
kind: drive
duration_s: 3.0
key_on_s: 0.1
initial_soc_pct: 70.0
speed_profile:
  - [0.0, 0.0]
  - [0.8, 0.0]
  - [2.0, 15.0]
  - [3.0, 5.0]
"""


def test_every_ecu_frame_of_a_drive_decodes_strictly_with_signals_in_dbc_range(tmp_path):
    scenario = tmp_path / "can-log.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run"
    run = subprocess.run(
        [sys.executable, "-m", "kairo_hil", "run", str(scenario), "--out", str(out),
         "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr

    db = cantools.database.load_file(str(DBC))
    ecu_messages = {m.frame_id: m for m in db.messages if set(m.senders) & {"INV", "BMS"}}
    assert {0x181, 0x182, 0x301, 0x302, 0x303, 0x304} <= ecu_messages.keys()

    seen: dict[int, int] = {}
    problems = []
    for msg in can.BLFReader(str(out / "can.blf")):
        message = ecu_messages.get(msg.arbitration_id)
        if message is None:
            continue  # the VCU's frames; diagnostics (0x7E8/0x7E9) are not in the DBC
        seen[msg.arbitration_id] = seen.get(msg.arbitration_id, 0) + 1
        # Strict decoding: cantools 45's `decode` has no `strict` (that is `encode`'s); a
        # frame shorter or longer than the DBC's length is an error here.
        values = message.decode(bytes(msg.data), decode_choices=False, scaling=True,
                                allow_truncated=False, allow_excess=False)
        for name, value in values.items():
            signal = message.get_signal_by_name(name)
            low = signal.minimum if signal.minimum is not None else -float("inf")
            high = signal.maximum if signal.maximum is not None else float("inf")
            # Half a bit of tolerance: the DBC's limits are exact, the scaled value is not.
            slack = abs(signal.scale) / 2
            if not low - slack <= value <= high + slack:
                problems.append(f"{message.name}.{name} = {value} outside [{low}, {high}] "
                                f"at {msg.timestamp:.3f} s")
    assert not problems, "\n".join(problems[:20])
    # 3 s of traffic: INV_Status 10 ms, BMS_Status 100 ms, a cell-voltage frame every 40 ms.
    assert seen.get(0x181, 0) >= 250 and seen.get(0x182, 0) >= 250, seen
    assert seen.get(0x301, 0) >= 25 and seen.get(0x302, 0) >= 25, seen
    assert seen.get(0x303, 0) >= 20 and seen.get(0x304, 0) >= 60, seen
