"""The rig's side of the firmware interfaces, without firmware: co-simulation frames, E2E
protection, SLCAN lines and bus routing."""

import struct
import zlib

import pytest

from kairo_hil import cosim
from kairo_hil.bus import VehicleBus, slcan_decode, slcan_encode
from kairo_hil.cosim import CanFrame, FrameError
from kairo_hil.network import E2EProtector, Network
from kairo_hil.rig import Rig


def test_inverter_sample_layout_matches_the_protocol_document():
    frame = cosim.inverter_sample(0x01020304, 2100, 1990, 1750, 40000, 700, 710,
                                  [CanFrame(0x100, bytes(range(8)))])
    # The same header bytes the firmware's layout test expects (Tests/CoSimulationTests).
    assert frame[:12] == bytes([0x4B, 0x43, 1, 0x01, 30, 0, 0, 0, 0x04, 0x03, 0x02, 0x01])
    assert frame[12:14] == bytes([0x34, 0x08])  # 2100, little-endian
    assert len(frame) == 12 + 30 + 4
    assert struct.unpack("<I", frame[-4:])[0] == zlib.crc32(frame[:-4])


def _actuation(kind=cosim.INVERTER_ACTUATION, sequence=5, can=()):
    payload = cosim.ACTUATION_FIXED.pack(1, 0, 0.25, 0.5, 0.75, *range(16)) + cosim.can_block(
        list(can))
    return cosim.seal(kind, sequence, payload)


def test_actuation_round_trip():
    act = cosim.parse_actuation(_actuation(can=[CanFrame(0x181, b"\x01\x02")]),
                                cosim.INVERTER_ACTUATION, 5)
    assert act.mode == 1 and act.duties == (0.25, 0.5, 0.75)
    assert act.telemetry[15] == 15.0
    assert act.can == [CanFrame(0x181, b"\x01\x02")]


@pytest.mark.parametrize("mutate, message", [
    (lambda f: b"XC" + f[2:], "bad magic"),
    (lambda f: f[:-1] + bytes([f[-1] ^ 1]), "checksum mismatch"),
    (lambda f: f + b"\0", "does not match frame size"),
])
def test_bad_actuation_frames_are_named(mutate, message):
    with pytest.raises(FrameError, match=message):
        cosim.parse_actuation(mutate(_actuation()), cosim.INVERTER_ACTUATION, 5)


def test_wrong_sequence_and_kind_are_named():
    with pytest.raises(FrameError, match="sequence 5, expected 6"):
        cosim.parse_actuation(_actuation(), cosim.INVERTER_ACTUATION, 6)
    with pytest.raises(FrameError, match="kind 0x81, expected 0x82"):
        cosim.parse_actuation(_actuation(), cosim.BATTERY_ACTUATION, 5)


@pytest.mark.parametrize("defect", ["crc", "version", "length", "kind", "sequence", "magic"])
def test_each_injected_defect_breaks_exactly_its_field(defect):
    good = cosim.inverter_sample(7, 2048, 2048, 1750, 0, 650, 650, [])
    bad = Rig._spoil(good, defect)
    crc_ok = struct.unpack("<I", bad[-4:])[0] == zlib.crc32(bad[:-4])
    assert crc_ok == (defect != "crc")
    declared = struct.unpack_from("<H", bad, 4)[0]
    assert len(bad) == 12 + declared + 4, "framing must stay intact"
    assert bad != good


def test_e2e_profile1_matches_the_autosar_example_like_the_firmware():
    protector = E2EProtector(0x123)
    assert protector.protect(bytes(8)) == bytes([0xCC, 0x00, 0, 0, 0, 0, 0, 0])
    assert protector.protect(bytes(8)) == bytes([0x91, 0x01, 0, 0, 0, 0, 0, 0])


def test_torque_request_encodes_with_the_dbc_and_counts():
    net = Network()
    first = net.torque_request(55.5, enable=True, key_run=True)
    second = net.torque_request(55.5, enable=True, key_run=True)
    decoded = net.db.decode_message(first.id, first.data, decode_choices=False)
    assert decoded["VCU_TorqueRequest"] == pytest.approx(55.5)
    assert decoded["VCU_Enable"] == 1 and decoded["VCU_KeyState"] == 2
    assert (first.data[1] & 0xF, second.data[1] & 0xF) == (0, 1)


@pytest.mark.parametrize("frame", [CanFrame(0x7E0, bytes([2, 0x10, 3])),
                                   CanFrame(0x1ABCDEF, b"", extended=True)])
def test_slcan_lines_round_trip(frame):
    assert slcan_decode(slcan_encode(frame).decode().rstrip("\r")) == frame


@pytest.mark.parametrize("line", ["t7E0", "t7E02AA", "tFFF1AA00", "t80001AA"])
def test_malformed_slcan_frames_are_rejected(line):
    with pytest.raises(ValueError):
        slcan_decode(line)


def test_bus_delivers_to_every_other_node_in_order():
    bus = VehicleBus(("a", "b", "c"))
    bus.send("a", CanFrame(1, b"x"))
    bus.send("b", CanFrame(2, b"y"))
    assert bus.take("a", 8) == [CanFrame(2, b"y")]
    assert bus.take("b", 8) == [CanFrame(1, b"x")]
    assert bus.take("c", 1) == [CanFrame(1, b"x")]
    assert bus.take("c", 8) == [CanFrame(2, b"y")]
    bus.close()


def test_ecu_frames_are_checked_against_the_dbc():
    net = Network()
    status = net.db.get_message_by_name("INV_Status")
    good = status.encode({s.name: 0 for s in status.signals})
    net.observe(CanFrame(status.frame_id, good))
    assert (net.decode_errors, net.signals_out_of_range) == (0, 0)
    net.observe(CanFrame(status.frame_id, good[:5]))  # truncated
    assert net.decode_errors == 1
    # INV_State is 4 bits at bit 50 with a DBC maximum of 6: 15 is out of range.
    bad = bytearray(good)
    bad[6] |= 0x3C
    net.observe(CanFrame(status.frame_id, bytes(bad)))
    assert net.signals_out_of_range >= 1
    net.observe(CanFrame(0x7E8, b"\x02\x7e\x00"))  # diagnostics: not in the DBC, not counted
    assert net.decode_errors == 1
