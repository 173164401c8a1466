/*
 * Shared by the C benchmark programs: the fixed, realistic inputs of
 * ShowImageUploadCommand and a monotonic clock. bench/run.sh passes the
 * server as argv ("http://127.0.0.1:PORT"); everything else is fixed here
 * and repeated in bench/pyclients.py, so every client sends the same request.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_PROJECT_ID "0123456789abcdef0123456789abcdef"
#define BENCH_AK "HPUAEXAMPLEAK0123456"
#define BENCH_SK "ExampleSecretKey0123456789abcdefghijklmn"
#define BENCH_REGISTRY_ADDR "myharbor.example.com:443"
#define BENCH_NAMESPACE "library"
#define BENCH_USERNAME "admin"
#define BENCH_PASSWORD "Harbor12345!"
/* The canonical query libhss builds from the four values above. */
#define BENCH_QUERY "namespace=library&password=Harbor12345%21&registry_addr=myharbor.example.com%3A443&username=admin"
#define BENCH_PATH "/v5/" BENCH_PROJECT_ID "/image/registries/image-upload-command"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used so far, all threads. */
static inline double bench_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* A positive count from argv, or exit with usage. */
static inline long bench_count(const char *text, const char *usage)
{
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) {
        fprintf(stderr, "%s\n", usage);
        exit(2);
    }
    return value;
}

/* VmRSS or VmHWM of this process in KiB, from /proc/self/status; -1 if unknown. */
static inline long bench_status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long value = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            value = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return value;
}

#endif
