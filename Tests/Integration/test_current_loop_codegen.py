"""The current-loop step as compiled for the Cortex-M4F: straight-line code that calls no other
function (no runtime, no libm, no soft-float helper, no trap), and `make bench` reporting its
instruction count and code size deterministically. The speed goal itself is reported by
`make bench`, not asserted here."""

import re
import subprocess

from conftest import FIRMWARE, ROOT

STEP_SYMBOL = "12MotorControl11CurrentLoopV4step"
INSTRUCTION = re.compile(r"^\s+([0-9a-f]+):\s+([a-z][a-z0-9.]*)\s*(.*)$")
# Thumb-2 branch mnemonics: b, b.w, b.n and the conditional forms beq, bne.w, ...
CONDITIONS = "eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le"
BRANCH = re.compile(rf"^b(?:{CONDITIONS})?(?:\.[wn])?$")
CONDITIONAL_BRANCH = re.compile(rf"^b(?:{CONDITIONS})(?:\.[wn])?$")


def step_symbol(elf):
    """(address, size) of the one function whose mangled name contains the step's."""
    table = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True,
                           text=True, check=True).stdout
    found = [(int(fields[0], 16), int(fields[1], 16))
             for fields in (line.split() for line in table.splitlines())
             if len(fields) == 4 and fields[2] in "Tt" and STEP_SYMBOL in fields[3]]
    assert len(found) == 1, found
    return found[0]


def step_instructions(elf):
    """{address: (mnemonic, operands)} of the step, its literal-pool words left out."""
    address, size = step_symbol(elf)
    listing = subprocess.run(
        ["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", f"--start-address={address}",
         f"--stop-address={address + size}", str(elf)],
        capture_output=True, text=True, check=True).stdout
    instructions = {}
    for line in listing.splitlines():
        match = INSTRUCTION.match(line)
        if match:
            instructions[int(match.group(1), 16)] = (match.group(2), match.group(3))
    return address, size, instructions


def executed_path(elf):
    """The instructions executed from entry to return, following unconditional branches (the
    jumps over literal pools). Fails on a conditional branch: the path must be unique."""
    entry, size, instructions = step_instructions(elf)
    addresses = sorted(instructions)
    path, pc = [], entry
    while True:
        assert pc in instructions, f"the path leaves the step's code at {pc:#x}"
        mnemonic, operands = instructions[pc]
        path.append((pc, mnemonic, operands))
        assert len(path) <= size // 2, "the path loops"
        if mnemonic == "bx" or (mnemonic.startswith("pop") and "pc" in operands):
            return path
        assert not CONDITIONAL_BRANCH.match(mnemonic), (hex(pc), mnemonic, operands)
        if BRANCH.match(mnemonic):
            target = int(operands.split()[0], 16)
            assert entry <= target < entry + size, (hex(pc), mnemonic, operands)
            assert target > pc, f"backward branch at {pc:#x}"
            pc = target
        else:
            pc = addresses[addresses.index(pc) + 1]


def test_current_loop_step_calls_no_function_and_has_no_trap_path():
    entry, size, instructions = step_instructions(FIRMWARE / "bench.elf")
    calls = [(hex(pc), mnemonic, operands) for pc, (mnemonic, operands) in instructions.items()
             if mnemonic.split(".")[0] in ("bl", "blx")]
    assert calls == []
    assert not [operands for _, operands in instructions.values() if "swift_trap" in operands]
    # Every branch, taken or not, stays inside the step: no tail call to a helper or a trap.
    outside = [(hex(pc), mnemonic, operands) for pc, (mnemonic, operands) in instructions.items()
               if BRANCH.match(mnemonic)
               and not entry <= int(operands.split()[0], 16) < entry + size]
    assert outside == []


def test_current_loop_step_is_one_straight_line_path():
    path = executed_path(FIRMWARE / "bench.elf")
    # Only the return leaves the step; any other branch skips a literal pool forwards.
    assert path[-1][1] in ("bx", "pop", "pop.w", "ldmia.w")
    assert 50 < len(path) < 1000, len(path)


STEP_LINE = re.compile(r"^foc_current_step insns=(\d+\.\d{3})$", re.M)
SIZE_LINE = re.compile(r"^foc_current_step_size bytes=(\d+)$", re.M)


def make_bench():
    run = subprocess.run(["make", "-s", "bench"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_make_bench_reports_the_step_count_and_size_deterministically():
    first, second = make_bench(), make_bench()
    counts = [STEP_LINE.findall(output) for output in (first, second)]
    sizes = [SIZE_LINE.findall(output) for output in (first, second)]
    assert len(counts[0]) == 1 and counts[0] == counts[1], counts
    assert len(sizes[0]) == 1 and sizes[0] == sizes[1], sizes
    _, size = step_symbol(FIRMWARE / "bench.elf")
    assert int(sizes[0][0]) == size
    # The count is the step's own instructions plus its call sequence (argument registers, the
    # call, one result load): at least the executed path, and within a few instructions of it.
    executed = len(executed_path(FIRMWARE / "bench.elf"))
    assert executed <= float(counts[0][0]) <= executed + 12, (counts[0][0], executed)
