/*
 * Shared by the benchmark programs that call libhss: the client options and
 * the request every one of them uses (the values of bench_common.h).
 */
#ifndef BENCH_HSS_H
#define BENCH_HSS_H

#include "bench_common.h"

#include <hss.h>

static inline hss_client_options bench_options(const char *endpoint)
{
    hss_client_options options = HSS_CLIENT_OPTIONS_INIT;
    options.endpoint = endpoint;
    options.project_id = BENCH_PROJECT_ID;
    options.ak = BENCH_AK;
    options.sk = BENCH_SK;
    return options;
}

static inline hss_image_upload_command_request bench_request(void)
{
    hss_image_upload_command_request request = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    request.registry_addr = BENCH_REGISTRY_ADDR;
    request.namespace_name = BENCH_NAMESPACE;
    request.username = BENCH_USERNAME;
    request.password = BENCH_PASSWORD;
    return request;
}

/* A client for `endpoint`, or exit(1) with the library's message. */
static inline hss_client *bench_client(const char *endpoint)
{
    hss_client_options options = bench_options(endpoint);
    hss_client *client = NULL;
    hss_error *err = NULL;
    if (hss_client_new(&options, &client, &err) != HSS_OK) {
        fprintf(stderr, "hss_client_new: %s\n", hss_error_message(err));
        exit(1);
    }
    return client;
}

#endif
