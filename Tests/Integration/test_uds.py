"""UDS on both ECUs from real tools: udsoncan over can-isotp over python-can's SLCAN interface,
joined to a running rig (`kairo-hil serve`), as a tester would through a USB-CAN adapter.

One rig serves the whole module (key on, parked). At 8 s of simulated time it loses
VCU_TorqueRequest for 1 s (`--fault`): both ECUs must record U0100-87 (0xC10087) with a freeze
frame. The rig runs at roughly 0.4-0.8x real time, so every timeout here is generous and the
tests wait on conditions, not on wall-clock delays."""

import re
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import can
import isotp
import pytest
import udsoncan
from udsoncan.client import Client
from udsoncan.connections import PythonIsoTpConnection
from udsoncan.exceptions import NegativeResponseException

from test_slcan import free_port, open_slcan

ROOT = Path(__file__).resolve().parents[2]
FAULT_AT_S = 8.0
# The rig stops by itself after this much simulated time, so that the ECUs print their
# closing line (stack high-water mark); the tests are done by about 11 s.
RIG_SECONDS = 30
LOST_VCU_DTC = 0xC10087
ECUS = {"inverter": (0x7E0, 0x7E8), "bms": (0x7E1, 0x7E9)}
SERIALS = {"inverter": "KAIRO-INV-000001", "bms": "KAIRO-BMS-000001"}


def xtea_key(seed: int, level: int,
             k=(0x4B414952, 0x4F2D4445, 0x562D5345, 0x43524554)) -> int:
    """The SecurityAccess key of docs/diagnostics.md (development secret)."""
    v0, v1, s, m = seed, 0x4B410000 | level, 0, 0xFFFFFFFF
    for _ in range(32):
        v0 = (v0 + ((((v1 << 4) ^ (v1 >> 5)) + v1) ^ (s + k[s & 3]))) & m
        s = (s + 0x9E3779B9) & m
        v1 = (v1 + ((((v0 << 4) ^ (v0 >> 5)) + v0) ^ (s + k[(s >> 11) & 3]))) & m
    return v0 ^ v1


def security_algo(level: int, seed: bytes, params=None) -> bytes:
    return struct.pack(">I", xtea_key(int.from_bytes(seed, "big"), level))


def test_key_algorithm_matches_the_documented_example():
    assert xtea_key(0x12345678, 1) == 0xA792D9D9


def client_config() -> dict:
    config = dict(udsoncan.configs.default_client_config)
    config.update({
        "use_server_timing": False,
        "p2_timeout": 3.0,
        "p2_star_timeout": 15.0,
        "request_timeout": 20.0,
        "security_algo": security_algo,
        "exception_on_negative_response": True,
        "data_identifiers": {
            0xF190: udsoncan.AsciiCodec(17),
            0xF18C: udsoncan.AsciiCodec(16),
            0xF195: udsoncan.AsciiCodec(8),
            0xF1A0: ">cBH",
            0xDF00: ">8f",
            0x0101: ">H",  # inverter DC-link voltage, 0.1 V
            0x0201: ">H",  # BMS pack voltage, 0.1 V
            0x0200: ">H",  # BMS SOC, 0.01 %
        },
    })
    return config


class UdsTester:
    """One SLCAN bus, one notifier, one ISO-TP stack and udsoncan client per ECU."""

    def __init__(self, port: int):
        self.bus = open_slcan(port)
        self.notifier = can.Notifier(self.bus, [], timeout=0.05)
        self.clients: dict[str, Client] = {}
        params = {"blocking_send": True, "tx_padding": 0xCC, "tx_data_min_length": 8,
                  "stmin": 0, "blocksize": 0, "rx_flowcontrol_timeout": 5000,
                  "rx_consecutive_frame_timeout": 5000}
        for name, (tx, rx) in ECUS.items():
            stack = isotp.NotifierBasedCanStack(
                self.bus, self.notifier,
                address=isotp.Address(isotp.AddressingMode.Normal_11bits, txid=tx, rxid=rx),
                params=params)
            client = Client(PythonIsoTpConnection(stack), config=client_config())
            client.open()
            self.clients[name] = client

    def raw(self, ecu: str, request: bytes, timeout: float = 10.0) -> bytes:
        """Sends a request as is and returns the final response (skipping 0x78)."""
        conn = self.clients[ecu].conn
        conn.empty_rxqueue()
        conn.send(request)
        deadline = time.monotonic() + timeout
        while True:
            response = conn.wait_frame(timeout=max(0.1, deadline - time.monotonic()),
                                       exception=True)
            if not (len(response) == 3 and response[0] == 0x7F and response[2] == 0x78):
                return response

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.notifier.stop()
        self.bus.shutdown()


@pytest.fixture(scope="module")
def tester(tmp_path_factory):
    out = tmp_path_factory.mktemp("uds")
    port = free_port()
    rig = subprocess.Popen(
        [sys.executable, "-m", "kairo_hil", "serve", "--slcan-port", str(port), "--duration",
         str(RIG_SECONDS), "--key-on", "--out", str(out),
         "--fault", f"{FAULT_AT_S}:can_loss:message=VCU_TorqueRequest,duration_s=1.0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t = None
    try:
        t = UdsTester(port)
        yield t
    finally:
        if t is not None:
            t.close()
        try:
            _, err = rig.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            rig.send_signal(signal.SIGINT)
            _, err = rig.communicate(timeout=60)
        assert rig.returncode == 0, err
        for ecu in ECUS:
            console = (out / f"{ecu}-console.log").read_text()
            assert "TRAP" not in console and "FAULT" not in console, console
            # Every service ran on the ECUs' stacks: the high-water mark keeps a margin.
            used, size = map(int, re.search(r"stack (\d+) of (\d+)", console).groups())
            assert used <= size - 256, console


def retry_while_delayed(call, timeout: float = 30.0):
    """SecurityAccess answers 0x37 for the first second after power-up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except NegativeResponseException as error:
            if error.response.code != 0x37 or time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.parametrize("ecu", ECUS)
def test_identification_vin_versions_serial_calibration(tester, ecu):
    client = tester.clients[ecu]
    assert client.read_data_by_identifier_first(0xF190) == "KAIRO000000000000"
    assert client.read_data_by_identifier_first(0xF195) == "0.1.0   "
    assert client.read_data_by_identifier_first(0xF18C) == SERIALS[ecu]
    brand, index, version = client.read_data_by_identifier_first(0xF1A0)
    assert (brand, index, version) == (b"A", 0, 1)


def test_live_data_dc_link_and_pack_voltage_agree_once_hv_is_up(tester):
    deadline = time.monotonic() + 60
    while True:
        link_V = tester.clients["inverter"].read_data_by_identifier_first(0x0101)[0] / 10
        pack_V = tester.clients["bms"].read_data_by_identifier_first(0x0201)[0] / 10
        soc = tester.clients["bms"].read_data_by_identifier_first(0x0200)[0] / 100
        # HV is up once precharge has brought the link to the pack: the link alone passing
        # 300 V can still be mid-precharge (seen: 302.8 V link against a 387.8 V pack).
        hv_up = 300 < pack_V < 420 and abs(link_V - pack_V) < 15
        if hv_up or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert 300 < pack_V < 420 and abs(link_V - pack_V) < 15, (link_V, pack_V)
    assert 10 < soc < 100


@pytest.mark.parametrize("ecu", ECUS)
def test_extended_session_then_security_level_1_unlocks(tester, ecu):
    client = tester.clients[ecu]
    assert client.change_session(3).positive
    response = retry_while_delayed(lambda: client.unlock_security_access(1))
    assert response.positive
    # Unlocked: a second seed request answers the all-zero seed.
    assert client.request_seed(1).service_data.seed == b"\0\0\0\0"
    client.change_session(1)


@pytest.mark.parametrize("ecu", ECUS)
def test_lost_torque_request_sets_dtc_with_freeze_frame_and_clear_removes_it(tester, ecu):
    client = tester.clients[ecu]
    deadline = time.monotonic() + 90
    while True:
        dtcs = {d.id: d.status.get_byte_as_int()
                for d in client.get_dtc_by_status_mask(0xFF).service_data.dtcs}
        if dtcs.get(LOST_VCU_DTC, 0) & 0x08:
            break
        assert time.monotonic() < deadline, f"no confirmed {LOST_VCU_DTC:06X}: {dtcs}"
        time.sleep(0.5)
    snapshot = client.get_dtc_snapshot_by_dtc_number(LOST_VCU_DTC, record_number=1)
    dtc = snapshot.service_data.dtcs[0]
    assert dtc.id == LOST_VCU_DTC and dtc.status.confirmed
    frame = dtc.snapshots[0].data
    assert len(frame) == 8
    if ecu == "inverter":
        speed_rpm, link_V = frame[0], frame[1]
        assert abs(speed_rpm) < 500 and 0 <= link_V < 450
    else:
        pack_V, _, soc_pct, min_cell_V, max_cell_V = frame[:5]
        assert 300 < pack_V < 420 and 10 < soc_pct < 100
        assert 3.0 < min_cell_V <= max_cell_V < 4.25
    # Wait for the test to pass again (the frames are back), then clear.
    while dtcs.get(LOST_VCU_DTC, 0) & 0x01:
        assert time.monotonic() < deadline, f"{LOST_VCU_DTC:06X} still failing"
        time.sleep(0.5)
        dtcs = {d.id: d.status.get_byte_as_int()
                for d in client.get_dtc_by_status_mask(0xFF).service_data.dtcs}
    assert client.clear_dtc(0xFFFFFF).positive
    after = {d.id: d.status.get_byte_as_int()
             for d in client.get_dtc_by_status_mask(0x2F).service_data.dtcs}
    assert LOST_VCU_DTC not in after, after
    status = {d.id: d.status.get_byte_as_int()
              for d in client.get_dtc_by_status_mask(0xFF).service_data.dtcs}
    # Cleared (0x50), or already tested and passed since (0x00): no failure bit left.
    assert status.get(LOST_VCU_DTC, 0) & 0x2F == 0, status


@pytest.mark.parametrize("ecu", ECUS)
def test_negative_responses_unsupported_length_session(tester, ecu):
    assert tester.raw(ecu, bytes([0x83, 0x01])) == bytes([0x7F, 0x83, 0x11])
    assert tester.raw(ecu, bytes([0x22, 0xF1])) == bytes([0x7F, 0x22, 0x13])
    # Default session: SecurityAccess is not served there (0x7F) and the VIN is written in
    # the extended session only (the server's table: 0x31).
    assert tester.raw(ecu, bytes([0x27, 0x01])) == bytes([0x7F, 0x27, 0x7F])
    assert tester.raw(ecu, bytes([0x2E, 0xF1, 0x90]) + b"X" * 17) == bytes([0x7F, 0x2E, 0x31])


@pytest.mark.parametrize("ecu", ECUS)
def test_wrong_key_twice_gives_0x35_then_0x36_then_0x37_during_the_delay(tester, ecu):
    assert tester.raw(ecu, bytes([0x10, 0x03]))[0] == 0x50
    codes = []
    for _ in range(2):
        seed = tester.raw(ecu, bytes([0x27, 0x01]))
        assert seed[:2] == bytes([0x67, 0x01]) and seed[2:] != b"\0\0\0\0", seed
        wrong = (xtea_key(int.from_bytes(seed[2:], "big"), 1) ^ 0x1).to_bytes(4, "big")
        codes.append(tester.raw(ecu, bytes([0x27, 0x02]) + wrong))
    assert codes == [bytes([0x7F, 0x27, 0x35]), bytes([0x7F, 0x27, 0x36])]
    assert tester.raw(ecu, bytes([0x27, 0x01])) == bytes([0x7F, 0x27, 0x37])
    tester.raw(ecu, bytes([0x10, 0x01]))
