/* The answer's output formats (--output, --field) and the escaping they
 * share with settings.c: text and table for people (control characters made
 * visible), json, tsv and env for scripts (every value exact). */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "command.h"

#include <string.h>
#include <wchar.h>

static const struct field fields[] = {
    {"image_command", "HSS_IMAGE_COMMAND", hss_image_upload_command_image_command},
    {"images_download_url", "HSS_IMAGES_DOWNLOAD_URL", hss_image_upload_command_images_download_url},
    {"swr_image_pull_command", "HSS_SWR_IMAGE_PULL_COMMAND", hss_image_upload_command_swr_image_pull_command},
};
#define FIELD_COUNT (sizeof fields / sizeof fields[0])

const char *const format_names[] = {"text", "table", "json", "tsv", "env", NULL};

int find_format(const char *name)
{
    for (int i = 0; format_names[i]; i++)
        if (strcmp(format_names[i], name) == 0)
            return i;
    return FORMAT_UNSET;
}

const struct field *find_field(const char *name)
{
    for (size_t i = 0; i < FIELD_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* The code point of the UTF-8 sequence at *p (the library's strings are
 * valid UTF-8), moving *p past it. */
static unsigned long next_code_point(const unsigned char **p)
{
    unsigned long c = *(*p)++;
    int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

    if (more)
        c &= 0x3fUL >> more;
    for (; more && (**p & 0xc0) == 0x80; more--)
        c = c << 6 | (*(*p)++ & 0x3f);
    return c;
}

/* Text with control characters shown as \n, \r, \t or \xHH, so that a value
 * cannot drive the terminal; printed on `out` unless it is NULL. Returns the
 * columns it takes (wide characters count two, in a UTF-8 locale). */
static size_t visible(const char *text, FILE *out)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t columns = 0;
    char escape[5];

    while (*p) {
        const unsigned char *start = p;
        unsigned long c = next_code_point(&p);
        int width;

        if (c < 0x20 || c == 0x7f) {
            if (c == '\n' || c == '\r' || c == '\t')
                escape[0] = '\\', escape[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't', escape[2] = '\0';
            else
                snprintf(escape, sizeof escape, "\\x%02lx", c);
            columns += strlen(escape);
            if (out)
                fputs(escape, out);
            continue;
        }
        width = c < 0x80 ? 1 : wcwidth((wchar_t)c);
        columns += width < 0 ? 1 : (size_t)width;
        if (out)
            fwrite(start, 1, (size_t)(p - start), out);
    }
    return columns;
}

void put_visible(const char *text)
{
    visible(text, stdout);
}

/* A JSON string: '"', '\' and control characters escaped; non-ASCII UTF-8
 * passed through (the library guarantees valid UTF-8). */
void put_json_string(const char *value)
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

static void rule(size_t name_width, size_t value_width)
{
    putchar('+');
    for (size_t i = 0; i < name_width + 2; i++)
        putchar('-');
    putchar('+');
    for (size_t i = 0; i < value_width + 2; i++)
        putchar('-');
    puts("+");
}

static void row(const char *name, size_t name_width, const char *value, size_t value_width)
{
    printf("| %s%*s | ", name, (int)(name_width - visible(name, NULL)), "");
    printf("%*s |\n", (int)(value_width - visible(value, stdout)), "");
}

/* table: a boxed field | value table for people, values made visible. */
static void print_table(const hss_image_upload_command *result)
{
    size_t name_width = sizeof "swr_image_pull_command" - 1, value_width = sizeof "value" - 1;

    for (size_t i = 0; i < FIELD_COUNT; i++) {
        size_t width = visible(fields[i].get(result), NULL);
        value_width = width > value_width ? width : value_width;
    }
    rule(name_width, value_width);
    row("field", name_width, "value", value_width);
    rule(name_width, value_width);
    for (size_t i = 0; i < FIELD_COUNT; i++)
        row(fields[i].name, name_width, fields[i].get(result), value_width);
    rule(name_width, value_width);
}

/* json: one object, schema_version first, then the fields in their order. */
static void print_json(const hss_image_upload_command *result)
{
    printf("{\"schema_version\":%d", JSON_SCHEMA_VERSION);
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        printf(",\"%s\":", fields[i].name);
        put_json_string(fields[i].get(result));
    }
    puts("}");
}

/* tsv: one line, the values in the fields' order separated by tabs; '\',
 * tab, newline and CR written as \\, \t, \n and \r (as PostgreSQL and
 * MySQL write TSV), so that no value can break the line or its columns. */
static void print_tsv(const hss_image_upload_command *result)
{
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        if (i)
            putchar('\t');
        for (const char *p = fields[i].get(result); *p; p++) {
            if (*p == '\\' || *p == '\t' || *p == '\n' || *p == '\r')
                printf("\\%c", *p == '\t' ? 't' : *p == '\n' ? 'n' : *p == '\r' ? 'r' : '\\');
            else
                putchar(*p);
        }
    }
    putchar('\n');
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

void print_answer(enum format format, const hss_image_upload_command *result)
{
    static void (*const print[])(const hss_image_upload_command *) = {print_text, print_table, print_json, print_tsv,
                                                                      print_env};
    print[format == FORMAT_UNSET ? FORMAT_TEXT : format](result);
}
