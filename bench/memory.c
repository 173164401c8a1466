/*
 * Memory over many calls through the C API: VmRSS (current) and VmHWM
 * (peak) from /proc/self/status after 1,000 and after 100,000 sequential
 * calls on one client (default counts; both can be given).
 *
 *   memory http://127.0.0.1:PORT [FIRST [TOTAL]]
 *
 * Prints "calls=C rss_kib=R hwm_kib=H" once at FIRST and once at TOTAL,
 * then "errors=E".
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_hss.h"

int main(int argc, char **argv)
{
    const char *usage = "usage: memory http://127.0.0.1:PORT [FIRST [TOTAL]]";
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    long first = argc > 2 ? bench_count(argv[2], usage) : 1000;
    long total = argc > 3 ? bench_count(argv[3], usage) : 100000;

    hss_client *client = bench_client(argv[1]);
    hss_image_upload_command_request request = bench_request();

    long errors = 0;
    for (long i = 1; i <= total; i++) {
        hss_image_upload_command *result = NULL;
        hss_error *call_err = NULL;
        if (hss_image_upload_command_get(client, &request, &result, &call_err) != HSS_OK) {
            errors++;
            hss_error_free(call_err);
        }
        hss_image_upload_command_free(result);
        if (i == first || i == total)
            printf("calls=%ld rss_kib=%ld hwm_kib=%ld\n", i, bench_status_kib("VmRSS"), bench_status_kib("VmHWM"));
    }
    printf("errors=%ld\n", errors);
    hss_client_free(client);
    return errors == 0 ? 0 : 1;
}
