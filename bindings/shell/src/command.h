/*
 * hss-image-upload-command: what its files share. The command is a thin
 * front over libhss, written against the public header only:
 *   main.c     the call (or --show-config, --list-regions), from parsed
 *              options to exit status
 *   options.c  the command line; values.c the values of its numeric and
 *              named options; suggest.c what was wrong with a refused
 *              option, and the one probably meant; help.c the --help text
 *   report.c   stderr: the library's trace lines and errors, exit statuses
 *   secrets.c  secrets read from stdin or files, wiped when freed
 *   output.c   the answer's formats; settings.c --show-config's and
 *              --dry-run's
 */
#ifndef HSS_COMMAND_H
#define HSS_COMMAND_H

#include <hss.h>

#include <stddef.h>
#include <stdio.h>

#define PROGRAM "hss-image-upload-command"

/* Longest accepted line, in bytes, for each secret (the library then checks
 * the real limits: 128 characters for the password, 32768 for the token). */
#define PASSWORD_MAX_BYTES 1024
#define TOKEN_MAX_BYTES 32768

/* Exit status, stable. Keep in sync with help.c and the man page. */
enum {
    EXIT_OK = 0,
    EXIT_OTHER = 1,     /* bad response, internal error, out of memory, output */
    EXIT_USAGE = 2,     /* usage or invalid input: nothing was sent */
    EXIT_CLIENT = 3,    /* the caller's to fix: credentials, project id, permission, another 4xx */
    EXIT_TLS = 4,       /* TLS failure (or a network failure not worth retrying) */
    EXIT_SERVER = 5,    /* a 5xx not worth retrying, such as 501 */
    EXIT_TEMPORARY = 75 /* EX_TEMPFAIL of sysexits.h: hss_error_retryable, try again later */
};

/* One field of the answer. */
struct field {
    const char *name;     /* as in the API and for --field */
    const char *variable; /* for --output env */
    const char *(*get)(const hss_image_upload_command *);
};

/* The output formats (--output). */
enum format { FORMAT_TEXT, FORMAT_TABLE, FORMAT_JSON, FORMAT_TSV, FORMAT_ENV, FORMAT_UNSET = -1 };

/* The schema_version of every JSON document the command prints (man page, OUTPUT). */
#define JSON_SCHEMA_VERSION 1

/* What the command line asks for. */
struct command {
    hss_client_options client; /* overrides for the environment */
    hss_image_upload_command_request request;
    int password_stdin;
    const char *password_file;
    const char *auth_token_file;
    const char *proxy_password_file;
    int format;                /* enum format */
    const struct field *field; /* --field: print only this, raw */
    int show_config;
    int list_regions;
    int verbose;
};

/* options.c: fills *cmd from argv. Returns -1 to go on, else the exit status. */
int parse_arguments(int argc, char **argv, struct command *cmd);

/* values.c: each reports a bad value itself; EXIT_OK or EXIT_USAGE. */
int parse_seconds(const char *option, const char *text, long max_seconds, long *out_ms);
int parse_attempts(const char *text, int *attempts);
int parse_signing_algorithm(const char *text, int *algorithm);

/* suggest.c */
struct option;
/* The option name as typed, without "=value" (never echo a value). */
const char *option_name(const char *arg, char *buffer, size_t size);
/* Reports an option getopt_long refused ('?'; `arg` as typed, its optopt):
 * a value for a flag, an ambiguous abbreviation (naming the options), or
 * an unknown option with the one probably meant. Only options whose id
 * `offered` accepts are named. Returns EXIT_USAGE. */
int option_refused(const char *arg, int optopt, const struct option *options, int (*offered)(int id));

/* help.c */
void usage(FILE *out);

/* report.c */
void put_one_line(FILE *out, const char *text);
int usage_error(const char *message, const char *detail);
void trace_line(hss_trace_level level, const char *line, void *user);
int exit_code_for(hss_status status, const hss_error *err);
int library_error(hss_status status, const hss_error *err);

/* secrets.c: a secret in memory this program owns; wiped by secret_free. */
struct secret {
    char *text;
    size_t capacity;
};
void secret_free(struct secret *secret);
int read_password_stdin(struct secret *out);
int read_secret_file(const char *option, const char *path, size_t max_bytes, struct secret *out);

/* output.c */
extern const char *const format_names[]; /* indexed by enum format */
int find_format(const char *name);       /* enum format; FORMAT_UNSET when unknown */
const struct field *find_field(const char *name);
void put_visible(const char *text);
void put_json_string(const char *value);
void print_answer(enum format format, const hss_image_upload_command *result);

/* settings.c */
extern const char *const signing_algorithms[]; /* indexed by hss_signing_algorithm */
void print_settings(hss_client *client, int algorithm, enum format format, const hss_error *failure);
void print_request(const char *request, enum format format);
void print_regions(void);

#endif
