/* What the command would use, and what it would send: --show-config's
 * settings, --dry-run's request (text or json), --list-regions. */
#include "command.h"

#include <stdlib.h>
#include <string.h>

const char *const signing_algorithms[] = {
    "SDK-HMAC-SHA256", /* HSS_SIGNING_DEFAULT */
    "SDK-HMAC-SHA256", "SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256",
};

/* Indexed by enum hss_setting, whose values the header fixes; then the
 * signing algorithm, which the command names itself. */
static const char *const names[] = {"region",       "endpoint",    "project_id",
                                    "iam_endpoint", "credentials", "signing_algorithm"};
#define SIGNING_ALGORITHM (HSS_SETTING_CREDENTIALS + 1)
#define SETTING_COUNT (SIGNING_ALGORITHM + 1)

/* A JSON string, or null for "". */
static void put_json_or_null(const char *value)
{
    if (value[0])
        put_json_string(value);
    else
        fputs("null", stdout);
}

static int known(hss_client *client, int setting)
{
    return hss_client_setting(client, (hss_setting)setting)[0] ||
           hss_client_setting_source(client, (hss_setting)setting)[0];
}

/* The setting a failed resolution could not find: the credentials, else the
 * IAM endpoint the project lookup needed, else the project id. */
static int failed_setting(hss_client *client)
{
    if (!known(client, HSS_SETTING_CREDENTIALS))
        return HSS_SETTING_CREDENTIALS;
    if (!known(client, HSS_SETTING_PROJECT_ID))
        return known(client, HSS_SETTING_IAM_ENDPOINT) ? HSS_SETTING_PROJECT_ID : HSS_SETTING_IAM_ENDPOINT;
    return -1;
}

/* The signing algorithm, chosen as the library chooses it. */
static void signing_algorithm(int algorithm, const char **value, const char **source)
{
    const char *named = getenv("HUAWEICLOUD_SDK_SIGNING_ALGORITHM");

    if (algorithm)
        *value = signing_algorithms[algorithm], *source = "options";
    else if (named && named[0]) /* valid: the library refused the client otherwise */
        *value = named, *source = "environment";
    else
        *value = signing_algorithms[0], *source = "default";
}

/* text: "name: value (source)" lines; json: one object (the man page's
 * OUTPUT). After a failed resolution (`failure`), what was found and the
 * setting that failed, marked. No setting is a secret: the AK comes masked
 * ("ABCD...WXYZ"). */
void print_settings(hss_client *client, int algorithm, enum format format, const hss_error *failure)
{
    int failed = failure ? failed_setting(client) : -1;

    if (format == FORMAT_JSON)
        printf("{\"schema_version\":%d,\"settings\":{", JSON_SCHEMA_VERSION);
    for (int i = 0; i < SETTING_COUNT; i++) {
        const char *value, *source;

        if (i == SIGNING_ALGORITHM)
            signing_algorithm(algorithm, &value, &source);
        else
            value = hss_client_setting(client, (hss_setting)i),
            source = hss_client_setting_source(client, (hss_setting)i);
        if (i == HSS_SETTING_CREDENTIALS && !value[0] && source[0])
            value = "IAM token"; /* resolved, yet no AK: the token's */
        if (format == FORMAT_JSON) {
            printf("%s\"%s\":{\"value\":", i ? "," : "", names[i]);
            put_json_or_null(value);
            fputs(",\"source\":", stdout);
            put_json_or_null(source);
            if (i == failed) {
                fputs(",\"error\":", stdout);
                put_json_string(hss_error_message(failure));
            }
            putchar('}');
            continue;
        }
        printf("%s: ", names[i]);
        if (i == failed)
            fputs("(failed)", stdout);
        else if (value[0])
            put_visible(value);
        else
            fputs("(none)", stdout);
        if (source[0])
            printf(" (%s)", source);
        putchar('\n');
    }
    if (format == FORMAT_JSON)
        puts("}}");
}

/* --dry-run: the library's description of the request (its line, then one
 * header per line, secrets starred), as lines made visible, or as json:
 * {"method", "url", "headers": [[name, value]...]}. */
void print_request(const char *request, enum format format)
{
    const char *line = request;

    if (format == FORMAT_JSON)
        printf("{\"schema_version\":%d,\"request\":{", JSON_SCHEMA_VERSION);
    for (int n = 0; *line; n++) {
        size_t length = strcspn(line, "\n");
        char *text = malloc(length + 1);
        char *split;

        if (!text)
            break;
        memcpy(text, line, length);
        text[length] = '\0';
        if (format != FORMAT_JSON) {
            put_visible(text);
            putchar('\n');
        } else if (n == 0) {
            split = strchr(text, ' ');
            if (split)
                *split++ = '\0';
            fputs("\"method\":", stdout);
            put_json_string(text);
            fputs(",\"url\":", stdout);
            put_json_string(split ? split : "");
            fputs(",\"headers\":[", stdout);
        } else {
            split = strchr(text, ':');
            if (split)
                *split++ = '\0';
            printf("%s[", n > 1 ? "," : "");
            put_json_string(text);
            putchar(',');
            put_json_string(split ? split + strspn(split, " ") : "");
            putchar(']');
        }
        free(text);
        line += length + (line[length] == '\n');
    }
    if (format == FORMAT_JSON)
        puts("]}}");
}

/* --list-regions: the library's built-in table, taken from its source when
 * the command is built (Makefile, regions.h). */
void print_regions(void)
{
    static const char *const regions[] = {
#include "regions.h"
        NULL};

    for (size_t i = 0; regions[i]; i++)
        puts(regions[i]);
}
