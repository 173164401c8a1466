/*
 * libhss through its C API: one client, N sequential
 * hss_image_upload_command_get + hss_image_upload_command_free (each call
 * validates, signs, sends over a kept-alive connection, parses and copies
 * the answer out).
 *
 *   c_api http://127.0.0.1:PORT N [WARMUP]
 *
 * Prints "calls=N errors=E seconds=S" for the N timed calls (after WARMUP
 * untimed ones, default N/10).
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_hss.h"

int main(int argc, char **argv)
{
    const char *usage = "usage: c_api http://127.0.0.1:PORT N [WARMUP]";
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    long n = bench_count(argv[2], usage);
    long warmup = argc == 4 ? atol(argv[3]) : n / 10;

    hss_client *client = bench_client(argv[1]);

    hss_image_upload_command_request request = bench_request();

    long errors = 0;
    double start = 0, cpu = 0;
    for (long i = -warmup; i < n; i++) {
        if (i == 0) {
            start = bench_now();
            cpu = bench_cpu();
        }
        hss_image_upload_command *result = NULL;
        hss_error *call_err = NULL;
        if (hss_image_upload_command_get(client, &request, &result, &call_err) != HSS_OK) {
            if (errors++ == 0)
                fprintf(stderr, "first error: %s\n", hss_error_message(call_err));
            hss_error_free(call_err);
        }
        hss_image_upload_command_free(result);
    }
    double seconds = bench_now() - start;
    cpu = bench_cpu() - cpu;
    printf("calls=%ld errors=%ld seconds=%.6f cpu_seconds=%.6f\n", n, errors, seconds, cpu);

    hss_client_free(client);
    return errors == 0 ? 0 : 1;
}
