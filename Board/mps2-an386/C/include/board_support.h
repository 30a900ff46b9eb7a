// C services of the MPS2 AN386 board runtime that Swift calls: ARM semihosting (the host
// link QEMU provides) and a few core intrinsics.
#ifndef KAIRO_BOARD_SUPPORT_H
#define KAIRO_BOARD_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

// Ends the QEMU run with `status` as the process exit code (SYS_EXIT_EXTENDED).
__attribute__((noreturn)) void semihosting_exit(int status);

// Writes bytes to the host's stderr (semihosting console).
void semihosting_write_console(const uint8_t *bytes, size_t count);

// Copies the semihosting command line (QEMU `-semihosting-config arg=...`) into `buffer`,
// NUL-terminated; returns its length, or -1 when there is none or it does not fit.
int semihosting_command_line(uint8_t *buffer, size_t capacity);

// Host files: open (mode as in fopen: 0 "r", 4 "w", 8 "a", binary +1), read, write, close.
// read/write return the number of bytes NOT transferred (0 = all), as the semihosting spec.
int semihosting_open(const char *path, int mode);
int semihosting_read(int handle, uint8_t *buffer, size_t count);
int semihosting_write(int handle, const uint8_t *bytes, size_t count);
int semihosting_close(int handle);
// Moves the file position to `position` bytes from the start; 0 on success.
int semihosting_seek(int handle, uint32_t position);

// Two words in `.noinit` that survive a watchdog or software reset: a validity marker and the
// reset cause the board recorded before the reset.
extern volatile uint32_t kairo_reset_record[2];

static inline uint32_t reset_record_load(int index) { return kairo_reset_record[index]; }

static inline void reset_record_store(int index, uint32_t value) {
  kairo_reset_record[index] = value;
}

// Static storage for the co-simulation port's state, and its size in bytes.
void *board_cosim_storage(void);
uint32_t board_cosim_storage_size(void);

// Static storage for the ECU's state (constructed in place by the image), and its size.
void *board_ecu_storage(void);
uint32_t board_ecu_storage_size(void);

// The retained-RAM non-volatile store (.noinit): survives watchdog and software resets.
#define KAIRO_RETAINED_STORE_SIZE 256u
extern volatile uint8_t kairo_retained_store[KAIRO_RETAINED_STORE_SIZE];

// Backs the retained RAM with a host file through semihosting (the HIL rig's `store=PATH`):
// the region is loaded from the file (a missing or short file reads as zeros, QEMU's
// power-on RAM) and every later store is written through to it, byte by byte, so the record
// survives the QEMU process being stopped and started again like retained RAM survives a
// reset. Returns 0, or -1 when the file cannot be opened or created.
int retained_store_attach_file(const char *path);
// Writes one byte of the region through to the attached file (nothing when none is).
void retained_store_write_through(uint32_t offset, uint8_t value);

static inline uint32_t retained_store_size(void) { return KAIRO_RETAINED_STORE_SIZE; }

static inline uint8_t retained_store_load(uint32_t offset) {
  return kairo_retained_store[offset];
}

static inline void retained_store_store(uint32_t offset, uint8_t value) {
  kairo_retained_store[offset] = value;
  retained_store_write_through(offset, value);
}

// The second retained region: the diagnostic records (SecurityAccess attempt counter and DTCs,
// VehicleNetwork's DiagnosticServer: 8 + 8 + 648 bytes).
#define KAIRO_DIAGNOSTIC_STORE_SIZE 664u
extern volatile uint8_t kairo_diagnostic_store[KAIRO_DIAGNOSTIC_STORE_SIZE];

static inline uint32_t diagnostic_store_size(void) { return KAIRO_DIAGNOSTIC_STORE_SIZE; }

static inline uint8_t diagnostic_store_load(uint32_t offset) {
  return kairo_diagnostic_store[offset];
}

static inline void diagnostic_store_store(uint32_t offset, uint8_t value) {
  kairo_diagnostic_store[offset] = value;
}

// Stack high-water mark in bytes (the stack is painted at reset) and the stack's size.
uint32_t board_stack_used(void);
uint32_t board_stack_size(void);

// Interrupt masking for short critical sections shared with an ISR.
static inline uint32_t core_primask_disable(void) {
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  return primask;
}

static inline void core_primask_restore(uint32_t primask) {
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

static inline void core_wait_for_interrupt(void) { __asm volatile("wfi" ::: "memory"); }

static inline void core_data_barrier(void) { __asm volatile("dsb\n isb" ::: "memory"); }

#endif
