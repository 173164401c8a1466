/* Which of chss_json.h's scans this CPU runs: AVX2 needs the CPU to have it
 * and the system to save the wide registers (xgetbv). Asked once, on the
 * first scan, rather than when the library is loaded. */
#include "CHSSAPI.h"

#if defined(__x86_64__)
#include <cpuid.h>

int chss_json_avx2_state = -1;

int chss_json_detect_avx2(void)
{
    unsigned a, b, c, d;
    int avx2 = 0;
    /* cpuid 1: OSXSAVE (ecx bit 27) and AVX (bit 28); xgetbv 0: the SSE and
     * AVX state saved (bits 1 and 2); cpuid 7: AVX2 (ebx bit 5). */
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27)) && (c & (1u << 28))) {
        unsigned low, high;
        __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
        if ((low & 6) == 6 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 5))) {
            avx2 = 1;
        }
    }
    __atomic_store_n(&chss_json_avx2_state, avx2, __ATOMIC_RELAXED);
    return avx2;
}
#endif
