/* The values of --timeout, --retry-base, --retry-cap, --max-attempts and --signing-algorithm. */
#include "command.h"

#include <string.h>

#define ATTEMPTS_MAX 10 /* the library's limit (hss.h) */

/* Parse the SECONDS of --timeout, --retry-base or --retry-cap: decimal digits with an
 * optional fraction ("30", "0.5", ".5"; leading zeros are decimal too: "010" is 10), more
 * than 0 and at most max_seconds. No sign, exponent, hex, inf/nan or spaces, which strtod
 * would take. Whole milliseconds, rounded up (0.0001 s is 1 ms, not 0), computed in
 * integers so that no number of digits can overflow. */
int parse_seconds(const char *option, const char *text, long max_seconds, long *out_ms)
{
    const char *p = text;
    long seconds = 0, ms = 0;
    int digits = 0, places = 0, round_up = 0;

    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if (seconds <= max_seconds) /* stop growing once too large: no overflow */
            seconds = seconds * 10 + (*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (places < 3)
                ms = ms * 10 + (*p - '0'), places++;
            else if (*p != '0')
                round_up = 1;
        }
    for (; places < 3; places++)
        ms *= 10;
    ms += seconds * 1000 + round_up; /* seconds is at most 10 * max_seconds + 9 here */
    if (*p != '\0' || digits == 0 || ms == 0 || ms > max_seconds * 1000) {
        fprintf(stderr,
                PROGRAM ": %s takes a decimal number of seconds, more than 0 and at most %ld "
                        "(such as 30 or 0.5) (see --help)\n",
                option, max_seconds);
        return EXIT_USAGE;
    }
    *out_ms = ms;
    return EXIT_OK;
}

/* Parse --max-attempts N: decimal digits only, 1 to ATTEMPTS_MAX. */
int parse_attempts(const char *text, int *attempts)
{
    const char *p = text;
    int n = 0;

    for (; *p >= '0' && *p <= '9' && n <= ATTEMPTS_MAX; p++)
        n = n * 10 + (*p - '0');
    if (*p != '\0' || p == text || n < 1 || n > ATTEMPTS_MAX)
        return usage_error("--max-attempts takes a whole number from 1 (no retries) to 10", NULL);
    *attempts = n;
    return EXIT_OK;
}

/* Parse --signing-algorithm NAME: one of the scheme names, exactly. */
int parse_signing_algorithm(const char *text, int *algorithm)
{
    for (int i = HSS_SIGNING_HMAC_SHA256; i <= HSS_SIGNING_V11_HMAC_SHA256; i++)
        if (strcmp(text, signing_algorithms[i]) == 0) {
            *algorithm = i;
            return EXIT_OK;
        }
    return usage_error("--signing-algorithm must be SDK-HMAC-SHA256, SDK-HMAC-SM3, SDK-ECDSA-P256-SHA256, "
                       "SDK-SM2-SM3 or V11-HMAC-SHA256",
                       NULL);
}
