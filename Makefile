# Kairo: host tests with SwiftPM, firmware for the Cortex-M4F with swiftc + GNU tools, QEMU
# integration tests and benchmarks. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

BOARD      ?= mps2-an386
BUILD      := build
FW         := $(BUILD)/firmware
OBJ        := $(BUILD)/obj/$(BOARD)
BOARD_DIR  := Board/$(BOARD)
LINKER     := Linker/$(BOARD).ld
VENV       := .venv
PYTHON     := $(VENV)/bin/python
QEMU       := qemu-system-arm -machine $(BOARD) -display none -monitor none
GDB_PORT   ?= 3333
ECU        ?= inverter
# `make V=1 ...` shows the full compiler and linker command lines.
Q          := $(if $(V),,@)
TICKS      ?= 2000

# Floor-1/2 modules compiled into the firmware, in dependency order (each may import the ones
# before it). Package.swift lists the same modules for the host build.
FIRMWARE_MODULES := Platform ControlMath Scheduling CoSimulation VehicleNetwork MotorControl \
  BatteryManagement InverterApp BatteryApp

VERSION := 0.1.0
# Brand calibration compiled into the ECU images (see README).
BRAND ?= A

SWIFT_EMBEDDED_FLAGS := -target armv7em-none-none-eabi \
  -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -wmo -Osize -parse-as-library -swift-version 6 \
  -Xcc -mcpu=cortex-m4 -Xcc -mfloat-abi=hard -Xcc -mfpu=fpv4-sp-d16 \
  -Xcc -fshort-enums -Xcc -fno-pic -Xcc -fno-math-errno \
  -Xfrontend -function-sections -Xfrontend -disable-stack-protector \
  -Xfrontend -no-allocations -Xfrontend -trap-function -Xfrontend swift_trap \
  -I $(OBJ) -Xcc -I$(BOARD_DIR)/C/include -I $(BOARD_DIR)/C/include
# The brand's calibration set is chosen at compile time (`#if KAIRO_BRAND_B` in InverterApp).
SWIFT_EMBEDDED_FLAGS += -D KAIRO_BRAND_$(BRAND)

ARM_CC := arm-none-eabi-gcc
ARM_ARCH := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
CFLAGS := $(ARM_ARCH) -Os -g -std=c11 -Wall -Wextra -Werror -ffreestanding -fno-pic \
  -fshort-enums -I$(BOARD_DIR)/C/include
LDFLAGS := $(ARM_ARCH) -nostdlib -nostartfiles -T $(LINKER) -Wl,--gc-sections \
  -Wl,--fatal-warnings -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack

MODULE_OBJECTS := $(foreach m,$(FIRMWARE_MODULES),$(OBJ)/$(m).o)
BOARD_SWIFT    := $(wildcard $(BOARD_DIR)/Swift/*.swift)
BOARD_C_OBJECTS := $(OBJ)/startup.o $(OBJ)/semihosting.o $(OBJ)/runtime.o $(OBJ)/heap_sentinel.o
COMMON_OBJECTS := $(MODULE_OBJECTS) $(OBJ)/Board.o $(BOARD_C_OBJECTS)

ECU_IMAGES  := inverter bms
TEST_IMAGES := test-trap test-watchdog
IMAGES      := $(ECU_IMAGES) bench $(TEST_IMAGES)

# Keep every intermediate object (pattern-rule chains would otherwise delete them).
.SECONDARY:

.PHONY: FORCE help deps firmware size check-no-heap bench test test-host test-hil \
  test-integration run hil hil-long run-standalone \
  debug lint clean fuzz test-fuzz fuzz-build

help:
	@echo "make run            the main job: HIL demo, both ECUs on QEMU closed loop, report"
	@echo "make hil SCENARIO=x run any scenario (name in HIL/scenarios or a file)"
	@echo "make hil-long     the long BMS checks (SOC over 30 min, SOH capacity; ~1 h wall)"
	@echo "make run-standalone boot each ECU image alone for TICKS periods"
	@echo "make test           all tests: host unit tests, firmware gates, QEMU integration"
	@echo "make firmware       build/firmware/{inverter,bms}.elf (+ .map) and test images"
	@echo "make size           flash and RAM bytes of each image against the budget"
	@echo "make check-no-heap  the allocator/refcount symbol gate on every image"
	@echo "make bench          instruction counts per kernel under QEMU -icount"
	@echo "make debug ECU=inverter|bms   QEMU halted with a gdbstub, gdb-multiarch attached"
	@echo "make lint           swift-format lint"
	@echo "make fuzz           libFuzzer targets, FUZZ_SECONDS (60) each"
	@echo "make deps           install the ARM toolchain, QEMU, gdb and the Python venv"

# ---------------------------------------------------------------------------- dependencies

APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gdb-multiarch

deps: $(VENV)/.installed
	@missing=""; \
	for tool in arm-none-eabi-gcc qemu-system-arm gdb-multiarch; do \
	  command -v $$tool >/dev/null || missing=1; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing $(APT_PACKAGES)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    $(APT_PACKAGES) >/dev/null; \
	fi

$(VENV)/.installed: $(wildcard HIL/pyproject.toml) Tests/Integration/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/Integration/requirements.txt
	@if [ -f HIL/pyproject.toml ]; then \
	  $(VENV)/bin/pip install -q --disable-pip-version-check -e 'HIL[test]'; fi
	touch $@

# -------------------------------------------------------------------------------- firmware

$(OBJ) $(FW):
	mkdir -p $@

# Each module is compiled whole (-wmo) into one object plus its .swiftmodule, after every
# module before it in FIRMWARE_MODULES.
modules_before = $(if $(filter $(1),$(firstword $(2))),,$(firstword $(2)) \
  $(call modules_before,$(1),$(wordlist 2,$(words $(2)),$(2))))

# A module may override the optimisation mode with SWIFT_OPT_<Module> (the last -O flag wins).
define swift_module_rule
$(OBJ)/$(1).o: $$(shell find Sources/$(1) -name '*.swift') \
    $(foreach d,$(call modules_before,$(1),$(FIRMWARE_MODULES)),$(OBJ)/$(d).o) | $(OBJ)
	@echo "  SWIFTC  $(1)"
	$(Q)swiftc $$(SWIFT_EMBEDDED_FLAGS) $$(SWIFT_OPT_$(1)) -module-name $(1) -emit-module \
	  -emit-module-path $(OBJ)/$(1).swiftmodule -c $$(filter %.swift,$$^) -o $$@
	@touch $$@  # swiftc leaves an unchanged object's time stamp alone
endef
$(foreach m,$(FIRMWARE_MODULES),$(eval $(call swift_module_rule,$(m))))

# Version, build and brand as constants; rewritten only when they change.
BUILD_ID := $(shell git describe --always --dirty --abbrev=10 2>/dev/null || echo unknown)
$(OBJ)/BuildInfo.swift: FORCE | $(OBJ)
	@printf '%s\n' '// Generated by the Makefile.' 'public enum BuildInfo {' \
	  '  public static let version: StaticString = "$(VERSION)"' \
	  '  public static let build: StaticString = "$(BUILD_ID)"' \
	  '  public static let brand: StaticString = "$(BRAND)"' '}' > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@

# The brand flag changes the InverterApp object: rebuild it when BRAND changes.
$(OBJ)/brand.stamp: FORCE | $(OBJ)
	@echo '$(BRAND)' > $@.new; cmp -s $@.new $@ && rm $@.new || mv $@.new $@
$(OBJ)/InverterApp.o: $(OBJ)/brand.stamp

$(OBJ)/Board.o: $(BOARD_SWIFT) $(OBJ)/BuildInfo.swift $(MODULE_OBJECTS) \
    $(wildcard $(BOARD_DIR)/C/include/*) | $(OBJ)
	@echo "  SWIFTC  Board"
	$(Q)swiftc $(SWIFT_EMBEDDED_FLAGS) -module-name Board -emit-module \
	  -emit-module-path $(OBJ)/Board.swiftmodule -c $(filter %.swift,$^) -o $@
	@touch $@

$(OBJ)/%.o: $(BOARD_DIR)/C/%.c $(wildcard $(BOARD_DIR)/C/include/*.h) | $(OBJ)
	@echo "  CC      $<"
	$(Q)$(ARM_CC) $(CFLAGS) -ffunction-sections -fdata-sections -c $< -o $@

# The C library stand-ins must not be recognised as memcpy & co. and call themselves.
$(OBJ)/runtime.o: CFLAGS += -fno-builtin
# One section for all sentinels: gate 2 needs it whole (no -ffunction-sections).
$(OBJ)/heap_sentinel.o: $(BOARD_DIR)/C/heap_sentinel.c | $(OBJ)
	@echo "  CC      $<"
	$(Q)$(ARM_CC) $(CFLAGS) -c $< -o $@

$(OBJ)/image-%.o: $(BOARD_DIR)/Images/%.swift $(OBJ)/Board.o $(MODULE_OBJECTS) | $(OBJ)
	@echo "  SWIFTC  $<"
	$(Q)swiftc $(SWIFT_EMBEDDED_FLAGS) -module-name $(subst -,_,$*)_image -c $< -o $@
	@touch $@

# Linking fails when an image exceeds the flash/RAM budget in the linker script, calls an
# allocator (gate 2) or has a non-empty .got; gate 3 then inspects the symbols.
$(FW)/%.elf: $(OBJ)/image-%.o $(COMMON_OBJECTS) $(LINKER) | $(FW)
	@echo "  LD      $@"
	$(Q)$(ARM_CC) $(LDFLAGS) -Wl,-Map=$(FW)/$*.map $(OBJ)/image-$*.o $(COMMON_OBJECTS) -lgcc -o $@
	@scripts/check_no_heap.sh $@ >/dev/null || { scripts/check_no_heap.sh $@; rm -f $@; exit 1; }

firmware: deps $(foreach i,$(IMAGES),$(FW)/$(i).elf)

size: firmware
	@scripts/image_size.sh $(foreach i,$(ECU_IMAGES),$(FW)/$(i).elf)

check-no-heap: firmware
	@scripts/check_no_heap.sh $(foreach i,$(IMAGES),$(FW)/$(i).elf)

# -------------------------------------------------------------------------- run and debug

# The main job: both ECU images on QEMU closed loop with the plant (HIL demo), report in
# $(HIL_OUT). `make hil SCENARIO=name-or-file` runs any scenario.
SCENARIO ?= demo
HIL_OUT  ?= build/hil/$(notdir $(basename $(SCENARIO)))

run: SCENARIO = demo
run: hil

hil: firmware
	$(PYTHON) -m kairo_hil run $(SCENARIO) --out $(HIL_OUT)

# Boots each ECU image standalone (no rig) on its own QEMU for TICKS control periods.
run-standalone: firmware
	@for ecu in $(ECU_IMAGES); do \
	  echo "== $$ecu on QEMU $(BOARD)"; \
	  timeout 60 $(QEMU) -serial stdio -icount shift=4,sleep=off \
	    -semihosting-config enable=on,target=native,arg=$$ecu,arg=ticks=$(TICKS) \
	    -kernel $(FW)/$$ecu.elf || exit $$?; \
	done

debug: firmware
	@echo "QEMU halted at reset with a gdbstub on 127.0.0.1:$(GDB_PORT); UART0 in this terminal"
	$(QEMU) -serial file:$(BUILD)/$(ECU)-uart0.log \
	  -semihosting-config enable=on,target=native,arg=$(ECU) \
	  -kernel $(FW)/$(ECU).elf -gdb tcp:127.0.0.1:$(GDB_PORT) -S & \
	qemu=$$!; trap "kill $$qemu 2>/dev/null" EXIT; \
	gdb-multiarch -q $(FW)/$(ECU).elf -ex "target remote 127.0.0.1:$(GDB_PORT)" \
	  -ex "break main"

# The current-loop step's code size (with its literal pool) follows the instruction counts.
bench: firmware
	@timeout 600 $(QEMU) -serial stdio -icount shift=0,sleep=off \
	  -semihosting-config enable=on,target=native,arg=bench -kernel $(FW)/bench.elf
	@echo "foc_current_step_size bytes=$$(scripts/function_size.sh $(FW)/bench.elf \
	  12MotorControl11CurrentLoopV4step)"

# ----------------------------------------------------------------------------------- tests

test: test-host test-hil test-integration test-fuzz

test-host:
	swift build --build-tests
	swift test

# The rig's own unit tests (plants, scenarios, frames, reports): no firmware needed.
test-hil: deps
	$(PYTHON) -m pytest -q HIL/tests

test-integration: firmware check-no-heap size
	$(PYTHON) -m pytest -q Tests/Integration

# ---------------------------------------------------------------------------------- fuzzing

# libFuzzer targets on the host: the parsers that take bytes from the bus or the rig (ISO-TP
# reassembly, UDS requests, co-simulation frames), compiled from the same module sources with
# ASan and coverage. Seeds in Fuzz/corpus/<target>/; new inputs go to build/fuzz/corpus/ and
# crashes to build/fuzz/artifacts/. `make fuzz` runs each target FUZZ_SECONDS, `make test` a
# short bounded run (FUZZ_SMOKE_SECONDS).
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_TARGETS := IsoTpFuzz UdsFuzz CoSimFrameFuzz
FUZZ_MODULES := Platform ControlMath VehicleNetwork CoSimulation
FUZZ_FLAGS   := -sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g \
  -enable-experimental-feature Extern -use-ld=lld -I $(FUZZ_DIR)

define fuzz_module_rule
$(FUZZ_DIR)/$(1).o: $$(shell find Sources/$(1) -name '*.swift') \
    $(foreach d,$(call modules_before,$(1),$(FUZZ_MODULES)),$(FUZZ_DIR)/$(d).o)
	@mkdir -p $(FUZZ_DIR)
	@echo "  SWIFTC  $(1) (fuzzing)"
	$(Q)swiftc $$(FUZZ_FLAGS) -wmo -module-name $(1) -emit-module \
	  -emit-module-path $(FUZZ_DIR)/$(1).swiftmodule -c $$(filter %.swift,$$^) -o $$@
	@touch $$@  # swiftc leaves an unchanged object's time stamp alone
endef
$(foreach m,$(FUZZ_MODULES),$(eval $(call fuzz_module_rule,$(m))))

$(FUZZ_DIR)/%: Fuzz/%.swift $(foreach m,$(FUZZ_MODULES),$(FUZZ_DIR)/$(m).o)
	@echo "  FUZZER  $*"
	$(Q)swiftc $(FUZZ_FLAGS) -module-name $* $^ -o $@

fuzz-build: $(foreach t,$(FUZZ_TARGETS),$(FUZZ_DIR)/$(t))

# Runs every target for $(1) seconds and prints libFuzzer's final statistics; a crash, leak
# or failed invariant fails the run.
define run_fuzzers
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts; \
	  echo "== $$t for $(1) s"; \
	  SWIFT_BACKTRACE=enable=no $(FUZZ_DIR)/$$t -max_total_time=$(1) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- $(FUZZ_DIR)/corpus/$$t Fuzz/corpus/$$t \
	    2> $(FUZZ_DIR)/$$t.log || { tail -40 $(FUZZ_DIR)/$$t.log; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added):' \
	    $(FUZZ_DIR)/$$t.log; \
	  grep -E 'cov: [0-9]+' $(FUZZ_DIR)/$$t.log | tail -1; \
	done
endef

fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))

test-fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SMOKE_SECONDS))

# The BMS checks too long for `make test` (HIL/README.md, "BMS checks"): SOC over a 30 min
# profile and SOH capacity over a full cycle with 30 min rests (≈ 3.1 h simulated).
hil-long: firmware deps
	KAIRO_HIL_LONG=1 $(PYTHON) -m pytest -q -rA Tests/Integration/test_hil_bms.py \
	  -k "30_min or soh"

# For the build-gate tests: `make -s print-VARIABLE`.
print-%:
	@echo $($*)

lint: deps
	swift-format lint --strict --recursive Package.swift Sources Tests Fuzz $(BOARD_DIR)/Swift \
	  $(BOARD_DIR)/Images
	$(VENV)/bin/ruff check HIL Tests/Integration scripts
	$(PYTHON) scripts/generate_can_messages.py --check

clean:
	rm -rf $(BUILD) .build
