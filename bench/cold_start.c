/*
 * Cold start, timed from outside by bench/driver.py (fork+exec to exit).
 *
 *   cold_start load                        the dynamic loader maps libhss.so.1
 *                                          and runs its initialisers; one call
 *                                          (hss_version_number) proves it is in
 *   cold_start call http://127.0.0.1:PORT  ... then create a client and make
 *                                          the first call
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_hss.h"

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "load") == 0)
        return hss_version_number() == HSS_VERSION_NUM ? 0 : 1;
    if (argc != 3 || strcmp(argv[1], "call") != 0) {
        fprintf(stderr, "usage: cold_start load | cold_start call http://127.0.0.1:PORT\n");
        return 2;
    }
    hss_client_options options = bench_options(argv[2]);
    hss_client *client = NULL;
    hss_image_upload_command *result = NULL;
    hss_image_upload_command_request request = bench_request();
    hss_status status = hss_client_new(&options, &client, NULL);
    if (status == HSS_OK)
        status = hss_image_upload_command_get(client, &request, &result, NULL);
    hss_image_upload_command_free(result);
    hss_client_free(client);
    return status == HSS_OK ? 0 : 1;
}
