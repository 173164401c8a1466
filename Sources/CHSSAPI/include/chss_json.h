/* The JSON scanner's inner loop (Sources/HSSBase/Encoding/JSONText.swift,
 * plainRun): finding the end of a run of string bytes that need no check.
 * In C because Swift's SIMD types compile byte comparisons to a loop per
 * byte. Two ways, the same answer (Tests/HSSTests/JSONPlainRunTests.swift):
 * SSE2 (every x86-64 has it) tests sixteen bytes in a few instructions, and
 * elsewhere a word tests eight. (AVX2 saved ~230 instructions a call more,
 * not worth asking the CPU what it has.) */
#ifndef CHSS_JSON_H
#define CHSS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Whether a string body byte needs a look of its own: a quote, a backslash,
 * a control character (refused) or a non-ASCII byte (UTF-8, checked one
 * sequence at a time). */
static inline int chss_json_special(uint8_t b)
{
    return b == '"' || b == '\\' || b < 0x20 || b >= 0x80;
}

/* Each returns the first offset in [from, n] whose byte is special (n when
 * none is). */

/* Eight bytes at a time in a word (SWAR): (x - 0x0101..) & ~x & 0x8080..
 * marks the zero bytes of x, (x - 0x2020..) & ~x & 0x8080.. those below
 * 0x20, and x & 0x8080.. those from 0x80. A borrow can mark bytes above a
 * true mark, never below, so the lowest mark (the first byte in memory,
 * the word read little-endian) is exact. */
static inline ptrdiff_t chss_json_plain_run_word(const uint8_t *p, ptrdiff_t from, ptrdiff_t n)
{
    ptrdiff_t i = from;
    const uint64_t ones = 0x0101010101010101u;
    for (; n - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap64(x);
#endif
        uint64_t quotes = x ^ (ones * '"');
        uint64_t backslashes = x ^ (ones * '\\');
        uint64_t marks =
            (((quotes - ones) & ~quotes) | ((backslashes - ones) & ~backslashes) | ((x - ones * 0x20) & ~x) | x) &
            (ones * 0x80);
        if (marks != 0) {
            return i + __builtin_ctzll(marks) / 8;
        }
    }
    while (i < n && !chss_json_special(p[i])) {
        i++;
    }
    return i;
}

#if defined(__x86_64__)
/* Vectors of bytes, 0xFF where the byte is special. A signed compare: bytes
 * from 0x80 are negative, so one test finds them and those below 0x20. */
#define CHSS_JSON_MARKS(vector, x) \
    CHSS_JSON_OR##vector(CHSS_JSON_OR##vector(vector##_cmpeq_epi8((x), vector##_set1_epi8('"')), \
                                              vector##_cmpeq_epi8((x), vector##_set1_epi8('\\'))), \
                         vector##_cmpgt_epi8(vector##_set1_epi8(0x20), (x)))
#define CHSS_JSON_OR_mm _mm_or_si128

static inline ptrdiff_t chss_json_plain_run_sse2(const uint8_t *p, ptrdiff_t from, ptrdiff_t n)
{
    ptrdiff_t i = from;
    for (; n - i >= 16; i += 16) {
        unsigned bits = (unsigned)_mm_movemask_epi8(CHSS_JSON_MARKS(_mm, _mm_loadu_si128((const __m128i *)(p + i))));
        if (bits != 0) {
            return i + __builtin_ctz(bits);
        }
    }
    if (i < n && n >= 16) {
        /* The text's last sixteen bytes again, without those before i. */
        __m128i last = _mm_loadu_si128((const __m128i *)(p + n - 16));
        unsigned bits = (unsigned)_mm_movemask_epi8(CHSS_JSON_MARKS(_mm, last)) >> (i - (n - 16));
        return bits != 0 ? i + __builtin_ctz(bits) : n;
    }
    return chss_json_plain_run_word(p, i, n);
}

#undef CHSS_JSON_MARKS
#undef CHSS_JSON_OR_mm

#endif

/* The way this machine runs. */
static inline ptrdiff_t chss_json_plain_run(const uint8_t *p, ptrdiff_t from, ptrdiff_t n)
{
#if defined(__x86_64__)
    return chss_json_plain_run_sse2(p, from, n);
#else
    return chss_json_plain_run_word(p, from, n);
#endif
}

#endif
