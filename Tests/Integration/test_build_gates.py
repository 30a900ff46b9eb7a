"""The firmware build's gates each reject what they guard against: heap use (three gates), a
non-empty .got, and an image over the flash or RAM budget. Each test feeds the real build
flags and linker script a deliberately bad input."""

import shlex
import subprocess

from conftest import ROOT


def make_variable(name: str) -> list[str]:
    out = subprocess.run(["make", "-s", f"print-{name}"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return shlex.split(out)


def board_objects() -> list[str]:
    """The objects every image links (modules, board Swift and C), already built."""
    return [str(ROOT / o) for o in make_variable("COMMON_OBJECTS")]


def link_c_image(tmp_path, source: str, *cflags: str) -> subprocess.CompletedProcess:
    c_file = tmp_path / "image.c"
    c_file.write_text(source)
    obj = tmp_path / "image.o"
    subprocess.run(["arm-none-eabi-gcc", *make_variable("ARM_ARCH"), "-Os", "-ffunction-sections",
                    "-fdata-sections", *cflags, "-c", str(c_file), "-o", str(obj)], check=True)
    return subprocess.run(["arm-none-eabi-gcc", *make_variable("LDFLAGS"), str(obj),
                           *board_objects(), "-lgcc", "-o", str(tmp_path / "image.elf")],
                          cwd=ROOT, capture_output=True, text=True)


def test_gate1_compiler_rejects_allocation(tmp_path):
    source = tmp_path / "Alloc.swift"
    source.write_text("final class Box { var x = 1 }\npublic func make() -> Int { Box().x }\n")
    done = subprocess.run(["swiftc", *make_variable("SWIFT_EMBEDDED_FLAGS"), "-module-name",
                           "Alloc", "-c", str(source), "-o", str(tmp_path / "a.o")],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    assert "cannot use allocating type" in done.stderr


def test_gate2_linker_sentinel_rejects_malloc(tmp_path):
    done = link_c_image(tmp_path, "#include <stdlib.h>\n"
                        "int main(void) { return malloc(4) != 0; }\n")
    assert done.returncode != 0
    assert "heap use detected" in done.stderr


def test_gate2_passes_an_image_without_allocation(tmp_path):
    done = link_c_image(tmp_path, "int main(void) { return 0; }\n")
    assert done.returncode == 0, done.stderr


def test_gate3_symbol_check_rejects_reference_counting(tmp_path):
    # swift_retain is not among the sentinels, so only the symbol check can catch it.
    done = link_c_image(tmp_path,
                        "__attribute__((noinline)) void *swift_retain(void *o) { return o; }\n"
                        "int main(void) { return swift_retain(0) != 0; }\n")
    assert done.returncode == 0, done.stderr
    check = subprocess.run([str(ROOT / "scripts/check_no_heap.sh"), str(tmp_path / "image.elf")],
                           capture_output=True, text=True)
    assert check.returncode != 0
    assert "swift_retain" in check.stdout


def test_position_independent_code_fails_the_got_gate(tmp_path):
    done = link_c_image(tmp_path, "extern int counter;\nint counter = 1;\n"
                        "int main(void) { return counter; }\n", "-fPIC")
    assert done.returncode != 0
    assert ".got is not empty" in done.stderr


def test_image_over_the_flash_budget_does_not_link(tmp_path):
    done = link_c_image(tmp_path, "const unsigned char table[130 * 1024] = {1};\n"
                        "int main(void) { volatile int i = 12345; return table[i]; }\n")
    assert done.returncode != 0
    assert "FLASH" in done.stderr and "overflow" in done.stderr


def test_image_over_the_ram_budget_does_not_link(tmp_path):
    done = link_c_image(tmp_path, "unsigned char buffer[30 * 1024];\n"
                        "int main(void) { volatile int i = 12345; return buffer[i]; }\n")
    assert done.returncode != 0
    assert "RAM" in done.stderr and "overflow" in done.stderr
