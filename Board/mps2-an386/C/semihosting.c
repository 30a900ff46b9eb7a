// ARM semihosting (ARM DUI 0471 / "Semihosting for AArch32 and AArch64"): the Thumb `bkpt
// 0xab` call that QEMU answers when started with -semihosting-config enable=on.
#include "board_support.h"

enum {
  SYS_OPEN = 0x01,
  SYS_CLOSE = 0x02,
  SYS_WRITE = 0x05,
  SYS_READ = 0x06,
  SYS_SEEK = 0x0A,
  SYS_GET_CMDLINE = 0x15,
  SYS_EXIT_EXTENDED = 0x20,
  ADP_Stopped_ApplicationExit = 0x20026,
};

static inline int semihosting_call(int operation, void *argument) {
  register int r0 __asm("r0") = operation;
  register void *r1 __asm("r1") = argument;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semihosting_exit(int status) {
  uint32_t block[2] = {ADP_Stopped_ApplicationExit, (uint32_t)status};
  semihosting_call(SYS_EXIT_EXTENDED, block);
  for (;;) __asm volatile("wfi");
}

void semihosting_write_console(const uint8_t *bytes, size_t count) {
  // SYS_WRITE to handle 2 (stderr, which QEMU opens for the guest on :tt).
  uint32_t block[3] = {2, (uint32_t)bytes, count};
  semihosting_call(SYS_WRITE, block);
}

int semihosting_command_line(uint8_t *buffer, size_t capacity) {
  uint32_t block[2] = {(uint32_t)buffer, capacity};
  if (semihosting_call(SYS_GET_CMDLINE, block) != 0) return -1;
  return (int)block[1];
}

int semihosting_open(const char *path, int mode) {
  size_t length = 0;
  while (path[length] != 0) length++;
  uint32_t block[3] = {(uint32_t)path, (uint32_t)mode, length};
  return semihosting_call(SYS_OPEN, block);
}

int semihosting_read(int handle, uint8_t *buffer, size_t count) {
  uint32_t block[3] = {(uint32_t)handle, (uint32_t)buffer, count};
  return semihosting_call(SYS_READ, block);
}

int semihosting_write(int handle, const uint8_t *bytes, size_t count) {
  uint32_t block[3] = {(uint32_t)handle, (uint32_t)bytes, count};
  return semihosting_call(SYS_WRITE, block);
}

int semihosting_close(int handle) {
  uint32_t block[1] = {(uint32_t)handle};
  return semihosting_call(SYS_CLOSE, block);
}

int semihosting_seek(int handle, uint32_t position) {
  uint32_t block[2] = {(uint32_t)handle, position};
  return semihosting_call(SYS_SEEK, block);
}
