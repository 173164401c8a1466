/*
 * The no_proxy differential test's driver (issue 20): for each case, one
 * http:// request through the system libcurl alone, then libhss's decision
 * for the same endpoint, settings and environment, then (when libhss lets it
 * through) one real libhss call. Tests/test_no_proxy_differential.py makes
 * the cases and reads what the recording proxy saw.
 *
 *   noproxy_diff PROXY_URL PORT < cases
 *
 * One case per input line: "ID MODE xLIST xHOST", LIST and HOST in hex
 * (they may hold spaces and tabs). MODE is "opt" (the proxy and no_proxy
 * given as options: CURLOPT_PROXY/NOPROXY, hss_client_options) or
 * "env:NAME=V:NAME=V..." (only the environment: V is P for PROXY_URL, L for
 * LIST, E for ""); every proxy variable not named is unset.
 *
 * In "opt" mode an empty LIST is no list at all (the no_proxy option must
 * not be empty), for libcurl and libhss alike.
 *
 * libcurl requests http://HOST:PORT/curl/ID; libhss's client has the
 * endpoint http://HOST:PORT and its call the namespace "hss-ID", so the
 * proxy's records tell the two apart. Prints one line per case:
 *   ID curl=<CURLcode> new=<status of hss_client_new> kind=<cleartext|other|->
 *      call=<status of the call, or - when the client was refused>
 * (statuses by name: HSS_OK, HSS_E_INVALID_ARGUMENT, HSS_E_NETWORK, else the number)
 * and the message of an unexpected refusal on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <hss.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const proxy_variables[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                              "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};

/* Decodes hex after a leading 'x' into `out`; 0 on a malformed field. */
static int unhex(const char *field, char *out, size_t size)
{
    size_t n = 0;
    if (field[0] != 'x')
        return 0;
    for (const char *p = field + 1; p[0] != '\0'; p += 2) {
        unsigned value;
        if (p[1] == '\0' || n + 1 >= size || sscanf(p, "%2x", &value) != 1)
            return 0;
        out[n++] = (char)value;
    }
    out[n] = '\0';
    return 1;
}

/* Sets the environment of an "env:..." mode; 0 on a malformed mode. */
static int apply_environment(char *mode, const char *proxy, const char *list)
{
    for (size_t i = 0; i < sizeof proxy_variables / sizeof proxy_variables[0]; i++)
        unsetenv(proxy_variables[i]);
    if (strcmp(mode, "opt") == 0)
        return 1;
    if (strncmp(mode, "env:", 4) != 0)
        return 0;
    for (char *item = strtok(mode + 4, ":"); item != NULL; item = strtok(NULL, ":")) {
        char *equals = strchr(item, '=');
        if (equals == NULL || equals[2] != '\0')
            return 0;
        *equals = '\0';
        const char *value = equals[1] == 'P' ? proxy : equals[1] == 'L' ? list : equals[1] == 'E' ? "" : NULL;
        if (value == NULL || setenv(item, value, 1) != 0)
            return 0;
    }
    return 1;
}

static CURLcode curl_request(CURL *curl, const char *url, const char *proxy, const char *list)
{
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROXY, proxy); /* NULL: the environment's */
    curl_easy_setopt(curl, CURLOPT_NOPROXY, list);
    return curl_easy_perform(curl);
}

static size_t body_sink(char *data, size_t size, size_t count, void *user)
{
    (void)data;
    (void)user;
    return size * count;
}

/* The statuses the test tells apart, by name; others as numbers. */
static const char *status_name(hss_status status, char *buffer, size_t size)
{
    switch (status) {
    case HSS_OK:
        return "HSS_OK";
    case HSS_E_INVALID_ARGUMENT:
        return "HSS_E_INVALID_ARGUMENT";
    case HSS_E_NETWORK:
        return "HSS_E_NETWORK";
    default:
        snprintf(buffer, size, "%d", (int)status);
        return buffer;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: noproxy_diff PROXY_URL PORT < cases\n");
        return 2;
    }
    const char *proxy = argv[1];
    const char *port = argv[2];
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
        return 2;
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return 2;
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_sink);

    char line[20000], mode[512], hex_list[16384], hex_host[1024];
    char list[8192], host[512], url[1024], endpoint[1024], tag[64];
    long id;
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (sscanf(line, "%ld %511s %16383s %1023s", &id, mode, hex_list, hex_host) != 4 ||
            !unhex(hex_list, list, sizeof list) || !unhex(hex_host, host, sizeof host)) {
            fprintf(stderr, "malformed case: %s", line);
            return 2;
        }
        int options = strcmp(mode, "opt") == 0;
        const char *option_list = options && list[0] != '\0' ? list : NULL;
        if (!apply_environment(mode, proxy, list)) {
            fprintf(stderr, "malformed mode in case %ld\n", id);
            return 2;
        }

        snprintf(url, sizeof url, "http://%s:%s/curl/%ld", host, port, id);
        CURLcode code = curl_request(curl, url, options ? proxy : NULL, option_list);

        hss_client_options o = HSS_CLIENT_OPTIONS_INIT;
        snprintf(endpoint, sizeof endpoint, "http://%s:%s", host, port);
        o.endpoint = endpoint;
        o.project_id = "noproxy-diff";
        o.ak = "DIFFTESTAK0000000000";
        o.sk = "Diff-Test-Sk-0000000000000000000000000";
        o.proxy = options ? proxy : NULL;
        o.no_proxy = option_list;
        o.max_attempts = 1;
        o.connect_timeout_ms = 2000;
        o.timeout_ms = 5000;
        hss_client *client = NULL;
        hss_error *err = NULL;
        hss_status made = hss_client_new(&o, &client, &err);
        const char *kind = "-";
        char made_text[16], call_text[16];
        const char *call = "-";
        if (made != HSS_OK) {
            const char *message = hss_error_message(err);
            kind =
                made == HSS_E_INVALID_ARGUMENT && strstr(message, "would go through") != NULL ? "cleartext" : "other";
            if (strcmp(kind, "other") == 0)
                fprintf(stderr, "case %ld: hss_client_new: %s\n", id, message);
            hss_error_free(err);
        } else {
            hss_image_upload_command_request r = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
            hss_image_upload_command *result = NULL;
            snprintf(tag, sizeof tag, "hss-%ld", id);
            r.registry_addr = "registry.test:443";
            r.namespace_name = tag;
            r.username = "u";
            r.password = "NoProxy-Diff-Pw-7";
            err = NULL;
            hss_status status = hss_image_upload_command_get(client, &r, &result, &err);
            call = status_name(status, call_text, sizeof call_text);
            hss_image_upload_command_free(result);
            hss_error_free(err);
            hss_client_free(client);
        }
        printf("%ld curl=%d new=%s kind=%s call=%s\n", id, (int)code, status_name(made, made_text, sizeof made_text),
               kind, call);
    }
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return 0;
}
