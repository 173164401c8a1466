/*
 * The floor: what any C client of this API must at least spend per call.
 * One libcurl easy handle, keep-alive, the same request libhss sends (same
 * URL and query, the same header set with fixed, precomputed values: no
 * signing, no JSON parsing), a write callback collecting the body into a
 * buffer, N sequential calls.
 *
 *   curl_floor http://127.0.0.1:PORT N [WARMUP]
 *   curl_floor load      only start (libcurl and its dependencies loaded) and exit
 *
 * Prints "calls=N errors=E seconds=S" for the N timed calls (after WARMUP
 * untimed ones, default N/10). A call counts as an error unless curl
 * succeeds with HTTP 200 and a non-empty body.
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_common.h"

#include <curl/curl.h>

struct body {
    char data[64 * 1024];
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct body *b = userdata;
    size_t n = size * nmemb;
    if (n > sizeof b->data - b->len)
        return 0;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

int main(int argc, char **argv)
{
    const char *usage = "usage: curl_floor http://127.0.0.1:PORT N [WARMUP] | curl_floor load";
    if (argc == 2 && strcmp(argv[1], "load") == 0) {
        curl_free(NULL); /* a libcurl symbol, so that nothing is optimised away; no work */
        return 0;
    }
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    const char *endpoint = argv[1];
    long n = bench_count(argv[2], usage);
    long warmup = argc == 4 ? atol(argv[3]) : n / 10;
    const char *host = strstr(endpoint, "://");
    host = host ? host + 3 : endpoint;

    char url[1024], host_header[512];
    snprintf(url, sizeof url, "%s%s?%s", endpoint, BENCH_PATH, BENCH_QUERY);
    snprintf(host_header, sizeof host_header, "Host: %s", host);

    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
        return 1;
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return 1;

    /* The header set libhss sends, values fixed. */
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, host_header);
    headers = curl_slist_append(headers, "User-Agent: libhss/1.2.0");
    headers = curl_slist_append(headers, "X-Project-Id: " BENCH_PROJECT_ID);
    headers = curl_slist_append(headers, "Accept:");
    headers = curl_slist_append(headers, "X-Sdk-Date: 20240101T000000Z");
    headers = curl_slist_append(headers, "Authorization: SDK-HMAC-SHA256 Access=" BENCH_AK ", "
                                         "SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, "
                                         "Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
    if (headers == NULL)
        return 1;

    static struct body body;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);

    long errors = 0;
    double start = 0, cpu = 0;
    for (long i = -warmup; i < n; i++) {
        if (i == 0) {
            start = bench_now();
            cpu = bench_cpu();
        }
        body.len = 0;
        long status = 0;
        if (curl_easy_perform(curl) != CURLE_OK ||
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200 || body.len == 0)
            errors++;
    }
    double seconds = bench_now() - start;
    cpu = bench_cpu() - cpu;
    printf("calls=%ld errors=%ld seconds=%.6f cpu_seconds=%.6f\n", n, errors, seconds, cpu);

    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return errors == 0 ? 0 : 1;
}
