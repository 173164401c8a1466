/* The answer's output formats, and --show-config's. */
#include "command.h"

#include <stdlib.h>
#include <string.h>

static const struct field fields[] = {
    {"image_command", "HSS_IMAGE_COMMAND", hss_image_upload_command_image_command},
    {"images_download_url", "HSS_IMAGES_DOWNLOAD_URL", hss_image_upload_command_images_download_url},
    {"swr_image_pull_command", "HSS_SWR_IMAGE_PULL_COMMAND", hss_image_upload_command_swr_image_pull_command},
};
#define FIELD_COUNT (sizeof fields / sizeof fields[0])

const struct field *find_field(const char *name)
{
    for (size_t i = 0; i < FIELD_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* Print text with control characters shown as \n, \r, \t or \xHH, so that
 * a value cannot drive the terminal. */
void put_visible(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\r')
            fputs("\\r", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
}

/* text: aligned "name: value" lines for people, values made visible. */
static void print_text(const hss_image_upload_command *result)
{
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        /* values start in column 25: after the longest name, its colon and a space */
        int pad = (int)(sizeof "swr_image_pull_command" - strlen(fields[i].name));
        printf("%s:%*s", fields[i].name, pad, "");
        put_visible(fields[i].get(result));
        putchar('\n');
    }
}

/* The scheme names, indexed by hss_signing_algorithm. */
const char *const signing_algorithms[] = {
    "SDK-HMAC-SHA256", /* HSS_SIGNING_DEFAULT */
    "SDK-HMAC-SHA256", "SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256",
};

/* --show-config: "name: value (source)" for each setting of a resolved
 * client, then the signing algorithm, chosen as the library chooses it.
 * No setting is a secret: the AK comes masked ("ABCD...WXYZ"). */
void print_config(hss_client *client, int algorithm)
{
    const char *named = getenv("HUAWEICLOUD_SDK_SIGNING_ALGORITHM");

    /* indexed by enum hss_setting, whose values the header fixes */
    static const char *const names[] = {"region", "endpoint", "project_id", "iam_endpoint", "credentials"};

    for (int i = HSS_SETTING_REGION; i <= HSS_SETTING_CREDENTIALS; i++) {
        const char *value = hss_client_setting(client, (hss_setting)i);
        const char *source = hss_client_setting_source(client, (hss_setting)i);

        printf("%s: ", names[i]);
        if (value[0])
            put_visible(value);
        else if (i == HSS_SETTING_CREDENTIALS && source[0])
            fputs("IAM token", stdout); /* resolved, yet no AK: the token's */
        else
            fputs("(none)", stdout);
        if (source[0])
            printf(" (%s)", source);
        putchar('\n');
    }
    if (algorithm)
        printf("signing_algorithm: %s (options)\n", signing_algorithms[algorithm]);
    else if (named && named[0]) /* valid: the library refused the client otherwise */
        printf("signing_algorithm: %s (environment)\n", named);
    else
        printf("signing_algorithm: %s (default)\n", signing_algorithms[0]);
}

/* json: one object. '"', '\' and control characters are escaped;
 * non-ASCII UTF-8 is passed through (the library guarantees valid UTF-8). */
static void print_json_string(const char *value)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_json(const hss_image_upload_command *result)
{
    putchar('{');
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        printf("%s\"%s\":", i ? "," : "", fields[i].name);
        print_json_string(fields[i].get(result));
    }
    puts("}");
}

/* env: NAME='value' lines for eval. Inside POSIX single quotes nothing is
 * special except the closing quote, written as '\'' (close, escaped quote,
 * reopen); newlines stay inside the quotes. */
static void print_env(const hss_image_upload_command *result)
{
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        printf("%s='", fields[i].variable);
        for (const char *p = fields[i].get(result); *p; p++) {
            if (*p == '\'')
                fputs("'\\''", stdout);
            else
                putchar(*p);
        }
        puts("'");
    }
}

static const struct format formats[] = {
    {"text", print_text},
    {"json", print_json},
    {"env", print_env},
};

const struct format *find_format(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}
