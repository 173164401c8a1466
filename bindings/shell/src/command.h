/*
 * hss-image-upload-command: what its files share. The command is a thin
 * front over libhss, written against the public header only:
 *   main.c     the call (or --show-config), from parsed options to exit status
 *   options.c  the command line; help.c the --help text
 *   report.c   stderr: the library's trace lines and errors, exit statuses
 *   secrets.c  secrets read from stdin or files, wiped when freed
 *   output.c   the answer's formats
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

/* Exit status. Keep in sync with help.c and the man page. */
enum {
    EXIT_OK = 0,
    EXIT_OTHER = 1,   /* bad response, internal error, out of memory, output */
    EXIT_USAGE = 2,   /* usage or invalid input */
    EXIT_CLIENT = 3,  /* no credentials or project id found, authentication or other 4xx */
    EXIT_NETWORK = 4, /* network, TLS or timeout */
    EXIT_SERVER = 5   /* 5xx from the service */
};

/* One field of the answer. */
struct field {
    const char *name;     /* as in the API and for --field */
    const char *variable; /* for --output env */
    const char *(*get)(const hss_image_upload_command *);
};

/* One output format of the answer. */
struct format {
    const char *name;
    void (*print)(const hss_image_upload_command *);
};

/* What the command line asks for. */
struct command {
    hss_client_options client; /* overrides for the environment */
    hss_image_upload_command_request request;
    int password_stdin;
    const char *password_file;
    const char *auth_token_file;
    const char *proxy_password_file;
    const struct format *format;
    const struct field *field; /* --field: print only this, raw */
    int show_config;
    int verbose;
};

/* options.c: fills *cmd from argv. Returns -1 to go on, else the exit status. */
int parse_arguments(int argc, char **argv, struct command *cmd);
/* The scheme names, indexed by hss_signing_algorithm. */
extern const char *const signing_algorithms[];

/* help.c */
void usage(FILE *out);

/* report.c */
void put_one_line(FILE *out, const char *text);
int usage_error(const char *message, const char *detail);
void trace_line(hss_trace_level level, const char *line, void *user);
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
const struct field *find_field(const char *name);
const struct format *find_format(const char *name);
void put_visible(const char *text);
void print_config(hss_client *client, int algorithm);

#endif
