// The few C-library entry points compiled Swift and GCC code call on a bare-metal target.
// Built with -fno-builtin so the loops below are not turned back into calls to themselves.
#include <stddef.h>
#include <stdint.h>

// Word copies when both pointers are word-aligned: Swift moves value types (a 516-byte frame
// buffer, a cell scan) with memcpy, and a byte loop made those copies 4x slower.
void *memcpy(void *destination, const void *source, size_t count) {
  uint8_t *to = destination;
  const uint8_t *from = source;
  if ((((uintptr_t)to | (uintptr_t)from) & 3) == 0) {
    uint32_t *to_word = (uint32_t *)to;
    const uint32_t *from_word = (const uint32_t *)from;
    for (; count >= 16; count -= 16) {
      to_word[0] = from_word[0];
      to_word[1] = from_word[1];
      to_word[2] = from_word[2];
      to_word[3] = from_word[3];
      to_word += 4;
      from_word += 4;
    }
    for (; count >= 4; count -= 4) *to_word++ = *from_word++;
    to = (uint8_t *)to_word;
    from = (const uint8_t *)from_word;
  }
  while (count--) *to++ = *from++;
  return destination;
}

void *memmove(void *destination, const void *source, size_t count) {
  uint8_t *to = destination;
  const uint8_t *from = source;
  if (to < from) {
    while (count--) *to++ = *from++;
  } else {
    while (count--) to[count] = from[count];
  }
  return destination;
}

void *memset(void *destination, int value, size_t count) {
  uint8_t *to = destination;
  if (((uintptr_t)to & 3) == 0) {
    uint32_t word = (uint8_t)value * 0x01010101u;
    uint32_t *to_word = (uint32_t *)to;
    for (; count >= 4; count -= 4) *to_word++ = word;
    to = (uint8_t *)to_word;
  }
  while (count--) *to++ = (uint8_t)value;
  return destination;
}

int memcmp(const void *a, const void *b, size_t count) {
  const uint8_t *x = a, *y = b;
  for (; count--; x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

// ARM run-time ABI (IHI 0043) aliases; note the argument order of __aeabi_memset.
void __aeabi_memcpy(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy4(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy8(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memmove(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove4(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove8(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memset(void *d, size_t n, int v) { memset(d, v, n); }
void __aeabi_memset4(void *d, size_t n, int v) { memset(d, v, n); }
void __aeabi_memset8(void *d, size_t n, int v) { memset(d, v, n); }
void __aeabi_memclr(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr4(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr8(void *d, size_t n) { memset(d, 0, n); }

// Swift's trap function (-trap-function swift_trap): a failed precondition, an overflow or an
// out-of-bounds index. The call site (return address minus the 4-byte BL) names the trap.
void kairo_report_trap(uint32_t call_site);

__attribute__((noreturn, noinline)) void swift_trap(void) {
  uint32_t return_address = (uint32_t)__builtin_return_address(0);
  kairo_report_trap((return_address & ~1u) - 4);
  __builtin_unreachable();
}
