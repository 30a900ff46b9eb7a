#!/usr/bin/env python3
"""Generate the firmware CAN message codec from the vehicle DBC.

Reads Network/kairo.dbc with cantools and writes
Sources/VehicleNetwork/Generated/Messages.swift: one struct per message with typed physical
fields, identifiers, lengths, cycle times, encode() and decode(_:). The generated code only
describes layouts; the bit work is done by the hand-written SignalCodec.swift.

Field types:
  * scaled signals (factor != 1 or non-integer offset) -> Float, clamped to the DBC range on
    encode;
  * signals with a value table -> a nested RawRepresentable struct with one constant per
    table entry (unknown raw values still decode, so a new state never makes a frame vanish);
  * 1-bit unsigned signals without a table -> Bool;
  * other integer signals -> the smallest Swift integer holding the raw range plus offset,
    clamped to the DBC range on encode.
Multiplexed messages are supported when every multiplexer value carries the same layout (the
round-robin pattern): the struct holds the multiplexer value and an InlineArray of the group's
values. Other multiplexed layouts are rejected with an error rather than generated wrongly.

Also writes Sources/CANVectorCheck/GeneratedAccessors.swift (host-only cross-check tool):
conversions between each message struct and a flat list of Double values in DBC signal order.

Usage: generate_can_messages.py [--check]
  --check  exit 1 if a committed output differs from what would be generated.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

import cantools

ROOT = Path(__file__).resolve().parent.parent
DBC = ROOT / "Network" / "kairo.dbc"
OUT = ROOT / "Sources" / "VehicleNetwork" / "Generated" / "Messages.swift"
OUT_ACCESSORS = ROOT / "Sources" / "CANVectorCheck" / "GeneratedAccessors.swift"

HEADER = """\
// Generated from Network/kairo.dbc by scripts/generate_can_messages.py — do not edit.
// Regenerate with `python scripts/generate_can_messages.py`; CI runs it with --check.
"""

SWIFT_KEYWORDS = {"init", "default", "case", "self", "static", "var", "let", "func", "in", "is"}

UNIT_SUFFIX = {
    "Nm": "_Nm",
    "rpm": "_rpm",
    "A": "_A",
    "V": "_V",
    "degC": "_degC",
    "%": "_pct",
    "kW": "_kW",
    "": "",
}


def fmt_float(value):
    """Shortest decimal that round-trips, always with a decimal point (Float literal)."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        return text
    return text if "." in text else text + ".0"


def number(value):
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def camel_upper(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def camel_lower(name):
    upper = camel_upper(name)
    match = re.match(r"^([A-Z]+)(?=[A-Z][a-z]|$)", upper)
    if match:
        head = match.group(1)
        return head.lower() + upper[len(head) :]
    return upper[:1].lower() + upper[1:]


def strip_prefix(signal_name):
    """Signals are named <Sender>_<Name>; the struct already says which message it is."""
    return signal_name.split("_", 1)[1] if "_" in signal_name else signal_name


def is_integer(value):
    return float(value).is_integer()


def raw_range(signal):
    if signal.is_signed:
        return -(1 << (signal.length - 1)), (1 << (signal.length - 1)) - 1
    return 0, (1 << signal.length) - 1


def integer_type(low, high):
    for name, lo, hi in (
        ("UInt8", 0, 0xFF),
        ("UInt16", 0, 0xFFFF),
        ("UInt32", 0, 0xFFFF_FFFF),
        ("Int8", -128, 127),
        ("Int16", -(1 << 15), (1 << 15) - 1),
        ("Int32", -(1 << 31), (1 << 31) - 1),
    ):
        if lo <= low and high <= hi:
            return name
    return "Int64"


class Field:
    """How one DBC signal becomes one Swift stored property."""

    def __init__(self, signal, name=None):
        self.signal = signal
        base = name or strip_prefix(signal.name)
        self.kind = self._kind()
        suffix = UNIT_SUFFIX.get(signal.unit or "", "_" + re.sub(r"\W", "", signal.unit or ""))
        self.base_name = camel_lower(base)
        self.name = self.base_name + (suffix if self.kind in ("float", "integer") else "")
        self.enum_name = camel_upper(base)
        low, high = raw_range(signal)
        self.swift_type = {
            "float": "Float",
            "bool": "Bool",
            "enum": self.enum_name,
        }.get(self.kind) or integer_type(low + int(signal.offset), high + int(signal.offset))
        self.raw_type = integer_type(low, high)

    def _kind(self):
        s = self.signal
        if s.choices:
            return "enum"
        if s.scale == 1 and is_integer(s.offset):
            if s.length == 1 and not s.is_signed and s.offset == 0:
                return "bool"
            return "integer"
        return "float"

    def layout(self):
        s = self.signal
        order = ".intel" if s.byte_order == "little_endian" else ".motorola"
        signed = "true" if s.is_signed else "false"
        return (
            f"SignalLayout(startBit: {s.start}, length: {s.length}, byteOrder: {order}, "
            f"isSigned: {signed})"
        )

    def descriptor(self):
        s = self.signal
        low, high = raw_range(s)
        minimum = s.minimum if s.minimum is not None else low * s.scale + s.offset
        maximum = s.maximum if s.maximum is not None else high * s.scale + s.offset
        if self.kind == "float":
            return (
                f"ScaledSignal(\n      {self.layout()},\n      factor: {fmt_float(s.scale)}, "
                f"offset: {fmt_float(s.offset)}, minimum: {fmt_float(minimum)}, "
                f"maximum: {fmt_float(maximum)})"
            )
        return (
            f"IntegerSignal(\n      {self.layout()},\n      offset: {int(s.offset)}, "
            f"minimum: {int(minimum)}, maximum: {int(maximum)})"
        )

    def doc(self):
        s = self.signal
        parts = []
        if s.comment:
            parts.append(s.comment.rstrip("."))
        unit = f" {s.unit}" if s.unit else ""
        if s.minimum is not None and s.maximum is not None:
            parts.append(f"{number(s.minimum)}...{number(s.maximum)}{unit}")
        if self.kind == "float":
            parts.append(f"step {s.scale:g}")
        return f"  /// {s.name}: " + ", ".join(parts) + "."

    def encode_expr(self, value):
        if self.kind == "float":
            return value
        if self.kind == "bool":
            return f"{value} ? 1 : 0"
        if self.kind == "enum":
            return f"Int({value}.rawValue)"
        if self.swift_type == "Int64":
            return value
        return f"{'UInt' if self.swift_type == 'UInt32' else 'Int'}({value})"

    def decode_expr(self, signal_expr):
        if self.kind == "float":
            return signal_expr
        if self.kind == "bool":
            return f"{signal_expr} != 0"
        if self.kind == "enum":
            return f"{self.swift_type}(rawValue: {self.raw_type}(truncatingIfNeeded: {signal_expr}))"
        return f"{self.swift_type}(truncatingIfNeeded: {signal_expr})"


def uniform_groups(message):
    """For a multiplexed message: (multiplexer signal, sorted mux values, group layout) when
    every multiplexer value carries signals with the same layout, else raise."""
    tree = message.signal_tree
    muxes = [node for node in tree if isinstance(node, dict)]
    plain = [node for node in tree if not isinstance(node, dict)]
    if len(muxes) != 1 or plain:
        raise SystemExit(f"{message.name}: only one multiplexer and no plain signals supported")
    (mux_name, groups), = muxes[0].items()
    values = sorted(groups)

    def shape(name):
        s = message.get_signal_by_name(name)
        return (s.start, s.length, s.byte_order, s.is_signed, s.scale, s.offset, s.minimum,
                s.maximum, s.unit, bool(s.choices))

    reference = [shape(n) for n in groups[values[0]]]
    for v in values:
        if any(isinstance(n, dict) for n in groups[v]) or [shape(n) for n in groups[v]] != reference:
            raise SystemExit(f"{message.name}: multiplexer groups differ in layout; not supported")
    if values != list(range(values[0], values[0] + len(values))):
        raise SystemExit(f"{message.name}: multiplexer values must be contiguous")
    return message.get_signal_by_name(mux_name), values, groups


def cycle_time(message):
    return message.cycle_time or 0


def e2e_data_id(message):
    attribute = message.dbc.attributes.get("E2EDataID") if message.dbc else None
    return attribute.value if attribute is not None and attribute.value else None


def emit_enum(lines, field):
    s = field.signal
    lines.append(f"  /// Values of {s.name}; raw values outside the table still decode.")
    lines.append(f"  public struct {field.enum_name}: RawRepresentable, Equatable, Sendable {{")
    lines.append(f"    public var rawValue: {field.raw_type}")
    lines.append(f"    public init(rawValue: {field.raw_type}) {{ self.rawValue = rawValue }}")
    for value, named in sorted(s.choices.items()):
        case = camel_lower(str(named))
        case = f"`{case}`" if case in SWIFT_KEYWORDS else case
        lines.append(f"    public static let {case} = Self(rawValue: {value})")
    lines.append("  }")
    lines.append("")


def emit_header_constants(lines, message):
    lines.append(f"  public static let id: UInt32 = 0x{message.frame_id:03X}")
    lines.append(f"  public static let length: UInt8 = {message.length}")
    cycle = cycle_time(message)
    note = "" if cycle else "  // sent on event"
    lines.append(f"  public static let cycleTime_ms: UInt32 = {cycle}{note}")
    data_id = e2e_data_id(message)
    if data_id is not None:
        lines.append("  /// AUTOSAR E2E Profile 1 data ID (DataIDMode BOTH); see E2EProtection.swift.")
        lines.append(f"  public static let e2eDataID: UInt16 = 0x{data_id:04X}")
    lines.append("")


def emit_plain(lines, message):
    fields = [Field(s) for s in message.signals]
    name = camel_upper(message.name)
    if message.comment:
        lines.append(f"/// {message.comment}")
    senders = ", ".join(message.senders)
    lines.append(f"/// 0x{message.frame_id:03X}, sent by {senders}.")
    lines.append(f"public struct {name}: Equatable, Sendable {{")
    emit_header_constants(lines, message)
    for field in fields:
        if field.kind == "enum":
            emit_enum(lines, field)
    for field in fields:
        lines.append(field.doc())
        lines.append(f"  public var {field.name}: {field.swift_type}")
    lines.append("")
    params = ", ".join(f"{f.name}: {f.swift_type}" for f in fields)
    lines.append(f"  public init({params}) {{")
    for field in fields:
        lines.append(f"    self.{field.name} = {field.name}")
    lines.append("  }")
    lines.append("")
    for field in fields:
        lines.append(f"  static var {field.base_name}Signal: {'ScaledSignal' if field.kind == 'float' else 'IntegerSignal'} {{")
        lines.append(f"    {field.descriptor()}")
        lines.append("  }")
    lines.append("")
    lines.append("  /// The frame; out-of-range values are sent as the nearest range limit.")
    lines.append("  public func encode() -> CANFrame {")
    lines.append("    var data = [8 of UInt8](repeating: 0)")
    for field in fields:
        lines.append(f"    Self.{field.base_name}Signal.encode({field.encode_expr(field.name)}, into: &data)")
    lines.append("    return CANFrame(id: Self.id, length: Self.length, data: data)")
    lines.append("  }")
    lines.append("")
    lines.append("  /// The message in `frame`, or nil for another identifier or length.")
    lines.append("  public static func decode(_ frame: CANFrame) -> Self? {")
    lines.append("    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }")
    lines.append("    let data = frame.data")
    lines.append("    return Self(")
    args = [f"      {f.name}: {f.decode_expr(f'{f.base_name}Signal.decode(data)')}" for f in fields]
    lines.append(",\n".join(args) + ")")
    lines.append("  }")
    lines.append("}")
    return name, fields


def emit_multiplexed(lines, message):
    mux_signal, values, groups = uniform_groups(message)
    mux = Field(mux_signal, name="index")
    group_signals = [message.get_signal_by_name(n) for n in groups[values[0]]]
    member = Field(group_signals[0], name=re.sub(r"\d+$", "", strip_prefix(group_signals[0].name)))
    count = len(group_signals)
    name = camel_upper(message.name)
    if message.comment:
        lines.append(f"/// {message.comment}")
    lines.append(
        f"/// 0x{message.frame_id:03X}, sent by {', '.join(message.senders)}. Multiplexed: "
        f"`index` {values[0]}...{values[-1]} selects which {count} {member.name} values "
        f"the frame carries ({groups[values[0]][0]} ... {groups[values[-1]][-1]})."
    )
    lines.append(f"public struct {name}: Equatable, Sendable {{")
    emit_header_constants(lines, message)
    lines.append(f"  public static let indexRange: ClosedRange<{mux.swift_type}> = {values[0]}...{values[-1]}")
    lines.append(f"  public static let valuesPerFrame = {count}")
    lines.append("")
    lines.append(mux.doc().replace("///", "/// Multiplexer"))
    lines.append(f"  public var index: {mux.swift_type}")
    lines.append(member.doc())
    lines.append(f"  public var {member.name}: [{count} of {member.swift_type}]")
    lines.append("")
    lines.append(f"  public init(index: {mux.swift_type}, {member.name}: [{count} of {member.swift_type}]) {{")
    lines.append("    self.index = index")
    lines.append(f"    self.{member.name} = {member.name}")
    lines.append("  }")
    lines.append("")
    lines.append("  public static func == (a: Self, b: Self) -> Bool {")
    lines.append("    guard a.index == b.index else { return false }")
    lines.append(f"    for i in 0..<{count} where a.{member.name}[i] != b.{member.name}[i] {{ return false }}")
    lines.append("    return true")
    lines.append("  }")
    lines.append("")
    lines.append(f"  static var indexSignal: IntegerSignal {{\n    {mux.descriptor()}\n  }}")
    kind = "ScaledSignal" if member.kind == "float" else "IntegerSignal"
    lines.append(f"  static func valueSignal(_ position: Int) -> {kind} {{")
    lines.append("    switch position {")
    for i, s in enumerate(group_signals[:-1]):
        lines.append(f"    case {i}: return {Field(s).descriptor()}".replace("\n      ", "\n        "))
    lines.append(f"    default: return {Field(group_signals[-1]).descriptor()}".replace("\n      ", "\n        "))
    lines.append("    }")
    lines.append("  }")
    lines.append("")
    lines.append("  /// The frame; an index outside `indexRange` and out-of-range values are sent as the")
    lines.append("  /// nearest range limit.")
    lines.append("  public func encode() -> CANFrame {")
    lines.append("    var data = [8 of UInt8](repeating: 0)")
    lines.append(f"    Self.indexSignal.encode({mux.encode_expr('index')}, into: &data)")
    lines.append(f"    for i in 0..<{count} {{")
    lines.append(f"      Self.valueSignal(i).encode({member.encode_expr(f'{member.name}[i]')}, into: &data)")
    lines.append("    }")
    lines.append("    return CANFrame(id: Self.id, length: Self.length, data: data)")
    lines.append("  }")
    lines.append("")
    lines.append("  /// The message in `frame`, or nil for another identifier or length or an index outside")
    lines.append("  /// `indexRange`.")
    lines.append("  public static func decode(_ frame: CANFrame) -> Self? {")
    lines.append("    guard frame.id == id, !frame.isExtended, frame.length == length else { return nil }")
    lines.append(f"    let index = {mux.decode_expr('indexSignal.decode(frame.data)')}")
    lines.append("    guard indexRange.contains(index) else { return nil }")
    lines.append(f"    var values = [{count} of {member.swift_type}](repeating: {'0' if member.kind != 'bool' else 'false'})")
    lines.append(f"    for i in 0..<{count} {{ values[i] = {member.decode_expr('valueSignal(i).decode(frame.data)')} }}")
    lines.append(f"    return Self(index: index, {member.name}: values)")
    lines.append("  }")
    lines.append("}")
    return name, mux, member, values, groups


def generate(db):
    lines = [HEADER, "import Platform", ""]
    acc = [
        HEADER,
        "// Host-only: flat Double lists in DBC signal order for the cantools cross-check.",
        "import Platform",
        "import VehicleNetwork",
        "",
        "/// Decodes `frame` and returns its signal values in DBC order, or nil if no message matches.",
        "func decodeToValues(_ frame: CANFrame) -> [Double]? {",
        "  switch frame.id {",
    ]
    encoders = [
        "/// Builds message `id` from values in DBC signal order and encodes it.",
        "func encodeFromValues(id: UInt32, _ v: [Double]) -> CANFrame? {",
        "  switch id {",
    ]
    for message in sorted(db.messages, key=lambda m: m.frame_id):
        if message.is_multiplexed():
            name, mux, member, values, groups = emit_multiplexed(lines, message)
            acc.append(f"  case {name}.id:")
            acc.append(f"    guard let m = {name}.decode(frame) else {{ return nil }}")
            acc.append("    var out: [Double] = [Double(m.index)]")
            acc.append(f"    for i in 0..<{name}.valuesPerFrame {{ out.append(Double(m.{member.name}[i])) }}")
            acc.append("    return out")
            encoders.append(f"  case {name}.id:")
            encoders.append(f"    var values = [{len(groups[values[0]])} of Float](repeating: 0)")
            encoders.append(f"    for i in 0..<{name}.valuesPerFrame {{ values[i] = Float(v[i + 1]) }}")
            encoders.append(f"    return {name}(index: {mux.swift_type}(v[0]), {member.name}: values).encode()")
        else:
            name, fields = emit_plain(lines, message)
            acc.append(f"  case {name}.id:")
            acc.append(f"    guard let m = {name}.decode(frame) else {{ return nil }}")
            items = []
            for f in fields:
                if f.kind == "bool":
                    items.append(f"m.{f.name} ? 1 : 0")
                elif f.kind == "enum":
                    items.append(f"Double(m.{f.name}.rawValue)")
                else:
                    items.append(f"Double(m.{f.name})")
            acc.append("    return [" + ", ".join(items) + "]")
            encoders.append(f"  case {name}.id:")
            args = []
            for i, f in enumerate(fields):
                if f.kind == "bool":
                    args.append(f"{f.name}: v[{i}] != 0")
                elif f.kind == "enum":
                    args.append(f"{f.name}: .init(rawValue: {f.raw_type}(v[{i}]))")
                elif f.kind == "float":
                    args.append(f"{f.name}: Float(v[{i}])")
                else:
                    args.append(f"{f.name}: {f.swift_type}(v[{i}])")
            encoders.append(f"    return {name}(" + ", ".join(args) + ").encode()")
        lines.append("")
    acc += ["  default: return nil", "  }", "}", ""]
    encoders += ["  default: return nil", "  }", "}"]
    return "\n".join(lines).rstrip() + "\n", "\n".join(acc + encoders) + "\n"


def swift_format(text):
    """Runs the committed swift-format configuration so the output passes the lint gate."""
    result = subprocess.run(
        ["swift-format", "format", "--configuration", str(ROOT / ".swift-format")],
        input=text, capture_output=True, text=True, check=True,
    )
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed output differs")
    args = parser.parse_args()
    db = cantools.database.load_file(str(DBC), strict=True)
    messages, accessors = (swift_format(text) for text in generate(db))
    failed = False
    for path, text in ((OUT, messages), (OUT_ACCESSORS, accessors)):
        if args.check:
            if not path.exists() or path.read_text() != text:
                print(f"{path.relative_to(ROOT)} is out of date: run scripts/generate_can_messages.py")
                failed = True
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
