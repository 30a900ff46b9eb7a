"""Cross-check of the firmware CAN codec against cantools, the reference DBC implementation.

1000 messages with random physical values in range for every signal (fixed seed) are encoded
by cantools and written to a vector file. The host tool CANVectorCheck (built from the same
Swift sources as the firmware) reads each vector and
  1. decodes cantools' bytes: every value must equal cantools' decoding of the same bytes up to
     Float precision;
  2. re-encodes what it decoded: the bytes must equal cantools' bytes exactly;
  3. encodes the original random values: cantools' decoding of those bytes must be within half
     a scale step of the original (Float rounding near a half step may pick the other
     neighbour, so bytes are not required to match here).
Run with: .venv/bin/python -m pytest Tests/Integration
"""

import random
import subprocess
import sys
from pathlib import Path

import cantools
import pytest

ROOT = Path(__file__).resolve().parents[2]
DBC = ROOT / "Network" / "kairo.dbc"
SEED = 20261121
COUNT = 1000


def signal_order(message, mux_value=None):
    """Signals in the order the firmware tool lists values (DBC order; multiplexer first)."""
    if not message.is_multiplexed():
        return list(message.signals)
    (mux_name, groups), = message.signal_tree[0].items()
    return [message.get_signal_by_name(mux_name)] + [
        message.get_signal_by_name(n) for n in groups[mux_value]
    ]


def is_integer_signal(signal):
    return signal.choices is not None or (signal.scale == 1 and float(signal.offset).is_integer())


def random_value(rng, signal):
    low, high = signal.minimum, signal.maximum
    if is_integer_signal(signal):
        return rng.randint(int(low), int(high))
    return rng.uniform(low, high)


def random_message(rng, message):
    mux_value = None
    if message.is_multiplexed():
        (_, groups), = message.signal_tree[0].items()
        mux_value = rng.choice(sorted(groups))
    values = {}
    for signal in signal_order(message, mux_value):
        values[signal.name] = mux_value if signal.is_multiplexer else random_value(rng, signal)
    return mux_value, values


def half_step(signal):
    return abs(signal.scale) / 2


@pytest.fixture(scope="module")
def tool():
    subprocess.run(["swift", "build", "--product", "CANVectorCheck"], cwd=ROOT, check=True)
    bin_path = subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(bin_path) / "CANVectorCheck"


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    db = cantools.database.load_file(str(DBC), strict=True)
    rng = random.Random(SEED)
    cases = []
    for _ in range(COUNT):
        message = rng.choice(db.messages)
        mux_value, values = random_message(rng, message)
        data = message.encode(values, scaling=True, strict=True)
        cases.append((message, mux_value, values, data))
    path = tmp_path_factory.mktemp("vectors") / "dbc_vectors.txt"
    with path.open("w") as out:
        for message, mux_value, values, data in cases:
            ordered = [values[s.name] for s in signal_order(message, mux_value)]
            values = " ".join(repr(v) for v in ordered)
            out.write(f"{message.frame_id:x} {data.hex()} {values}\n")
    return db, cases, path


@pytest.fixture(scope="module")
def results(tool, vectors):
    _, cases, path = vectors
    with path.open() as stdin:
        output = subprocess.run([str(tool)], stdin=stdin, check=True, capture_output=True,
                                text=True)
    lines = output.stdout.splitlines()
    assert len(lines) == len(cases)
    parsed = []
    for line in lines:
        assert not line.startswith("error"), line
        decoded, reencoded, encoded = (part.strip() for part in line.split("|"))
        parsed.append(([float(v) for v in decoded.split()], reencoded, encoded))
    return parsed


def test_every_message_and_both_byte_orders_are_covered(vectors):
    db, cases, _ = vectors
    assert {m.frame_id for m, *_ in cases} == {m.frame_id for m in db.messages}
    orders = {s.byte_order for m, *_ in cases for s in m.signals}
    assert orders == {"little_endian", "big_endian"}
    muxes = {mux for m, mux, *_ in cases if m.is_multiplexed()}
    assert len(muxes) >= 20


def test_firmware_decodes_cantools_bytes_to_the_same_values(vectors, results):
    _, cases, _ = vectors
    for (message, mux_value, _, data), (decoded, _, _) in zip(cases, results):
        expected = message.decode(data, decode_choices=False, scaling=True)
        signals = signal_order(message, mux_value)
        assert len(decoded) == len(signals)
        for signal, value in zip(signals, decoded):
            reference = float(expected[signal.name])
            # Float has a 24-bit significand: allow its rounding of the physical value.
            tolerance = abs(reference) * 2**-23 + abs(signal.scale) * 1e-6
            assert abs(value - reference) <= tolerance, (
                message.name, signal.name, value, reference)


def test_firmware_reencodes_decoded_values_to_identical_bytes(vectors, results):
    _, cases, _ = vectors
    for (message, _, _, data), (_, reencoded, _) in zip(cases, results):
        assert reencoded == data.hex(), message.name


def test_firmware_encodes_random_values_within_half_a_scale_step(vectors, results):
    _, cases, _ = vectors
    differing_bytes = 0
    for (message, mux_value, values, data), (_, _, encoded) in zip(cases, results):
        assert encoded != "none", message.name
        differing_bytes += encoded != data.hex()
        decoded = message.decode(bytes.fromhex(encoded), decode_choices=False, scaling=True)
        for signal in signal_order(message, mux_value):
            error = abs(float(decoded[signal.name]) - values[signal.name])
            if is_integer_signal(signal):
                assert error == 0, (message.name, signal.name)
            else:
                # Half a step, plus the Float rounding of the value on its way in.
                slack = abs(values[signal.name]) * 2**-23
                assert error <= half_step(signal) + slack, (message.name, signal.name, error)
    # Rounding may differ from cantools only for values within Float precision of a half step.
    assert differing_bytes <= COUNT // 100


def test_out_of_range_values_are_clamped_to_the_signal_range(tool, tmp_path):
    db = cantools.database.load_file(str(DBC), strict=True)
    message = db.get_message_by_name("VCU_TorqueRequest")
    zero = message.encode({s.name: 0 for s in message.signals}, scaling=True)
    # Torque 900 Nm and speed -20000 rpm are beyond [-400, 400] and [-12000, 12000].
    given = [0, 0, 0, 1, 900.0, -20000, 2]
    path = tmp_path / "clamp.txt"
    path.write_text(f"{message.frame_id:x} {zero.hex()} " + " ".join(map(str, given)) + "\n")
    with path.open() as stdin:
        line = subprocess.run([str(tool)], stdin=stdin, check=True, capture_output=True,
                              text=True).stdout
    encoded = line.split("|")[2].strip()
    decoded = message.decode(bytes.fromhex(encoded), decode_choices=False)
    assert decoded["VCU_TorqueRequest"] == pytest.approx(400.0)
    assert decoded["VCU_SpeedRequest"] == -12000


def test_committed_generated_code_matches_the_dbc():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_can_messages.py"), "--check"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout
