#!/usr/bin/env bash
# Prints one line per firmware image: flash bytes (vectors, code, constants, initialised-data
# image) and RAM bytes (data, bss, no-init, stack), against the budget the linker script
# enforces (128 KiB / 32 KiB) and the project's goal of half of it.
set -euo pipefail
for elf in "$@"; do
  arm-none-eabi-size -A "$elf" | awk -v name="$(basename "$elf" .elf)" '
    $1 == ".data" { flash += $2; ram += $2; next }
    $1 ~ /^\.(bss|noinit|stack)$/ { ram += $2; next }
    $1 ~ /^\.(isr_vector|text|ARM\.exidx|swift_sections|heap_sentinel|got)$/ { flash += $2 }
    END {
      status = "within goal"
      if (flash > 64 * 1024 || ram > 16 * 1024) status = "over goal (64 KiB / 16 KiB)"
      if (flash > 128 * 1024 || ram > 32 * 1024) status = "OVER BUDGET"
      printf "%-10s flash=%6d B (%4.1f%% of 128 KiB)  ram=%6d B (%4.1f%% of 32 KiB)  %s\n",
        name, flash, 100 * flash / 131072, ram, 100 * ram / 32768, status
    }'
done
