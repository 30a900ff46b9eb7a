"""A python-can program joins a running rig's vehicle bus over SLCAN-TCP, as it would through a
USB-CAN adapter, and sees the ECUs' frames; what it sends reaches the bus too."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import can

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_slcan(port: int, deadline_s: float = 30.0) -> can.BusABC:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return can.Bus(interface="slcan", channel=f"socket://127.0.0.1:{port}",
                           sleep_after_open=0)
        except Exception:  # noqa: BLE001 - the rig is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_python_can_sees_the_ecus_frames_over_slcan(tmp_path):
    port = free_port()
    rig = subprocess.Popen([sys.executable, "-m", "kairo_hil", "serve", "--slcan-port",
                            str(port), "--duration", "60", "--key-on", "--out", str(tmp_path)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        bus = open_slcan(port)
        seen: dict[int, int] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not {0x101, 0x181, 0x301} <= seen.keys():
            msg = bus.recv(timeout=1.0)
            if msg is not None:
                seen[msg.arbitration_id] = seen.get(msg.arbitration_id, 0) + 1
        bus.send(can.Message(arbitration_id=0x7DF, data=[2, 0x3E, 0x80], is_extended_id=False))
        time.sleep(0.5)
        bus.shutdown()
        assert 0x101 in seen, f"no torque request from the vehicle controller: {seen}"
        assert 0x181 in seen, f"no INV_Status from the inverter ECU: {seen}"
        assert 0x301 in seen, f"no BMS_Status from the BMS ECU: {seen}"
    finally:
        rig.send_signal(signal.SIGINT)
        out, err = rig.communicate(timeout=60)
    assert rig.returncode in (0, 130), err
    assert "temporary files removed" in err or rig.returncode == 0
    log = list(can.BLFReader(str(tmp_path / "can.blf")))
    assert any(m.arbitration_id == 0x7DF for m in log), "the tool's frame is not in the CAN log"
