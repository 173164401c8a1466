/* What goes to stderr: the library's trace lines and errors, one line each, and the exit
 * status an outcome gives. */
#include "command.h"

#include <string.h>

/* Print text with every control character turned into a space, so that an
 * error always stays on one line. */
void put_one_line(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
}

/* One line on stderr: "hss-image-upload-command: <message>". */
int usage_error(const char *message, const char *detail)
{
    fprintf(stderr, PROGRAM ": %s%s (see --help)\n", message, detail ? detail : "");
    return EXIT_USAGE;
}

/* The exit status of an outcome: "try again later" first, whatever the
 * failure (the library decides: throttled or 5xx after its retries, a
 * broken transport, a timeout), then who has to fix what. */
int exit_code_for(hss_status status, const hss_error *err)
{
    if (status != HSS_OK && hss_error_retryable(err))
        return EXIT_TEMPORARY;
    switch (status) {
    case HSS_OK:
        return EXIT_OK;
    case HSS_E_INVALID_ARGUMENT:
        return EXIT_USAGE;
    case HSS_E_HTTP_CLIENT:
    case HSS_E_CREDENTIALS: /* what the user must fix is the same: the credentials */
        return EXIT_CLIENT;
    case HSS_E_NETWORK:
    case HSS_E_TLS:
    case HSS_E_TIMEOUT:
        return EXIT_TLS;
    case HSS_E_HTTP_SERVER:
        return EXIT_SERVER;
    case HSS_E_CANCELLED: /* the command holds no cancel switch; were it given one, "any other error" */
    default:
        return EXIT_OTHER;
    }
}

/* The library's diagnostics, one line each on stderr: warnings always (a
 * credentials file that others can read...), info lines (sources, retries)
 * and debug lines (each request as signed and sent, secrets as "***") with
 * --verbose or HSS_DEBUG=1. The library never puts a secret in them. */
void trace_line(hss_trace_level level, const char *line, void *user)
{
    static const char *const levels[] = {"trace", "warning", "info", "debug"};

    if (level != HSS_TRACE_WARNING && !*(const int *)user)
        return;
    fprintf(stderr, PROGRAM ": %s: ", levels[level >= 1 && level <= 3 ? level : 0]);
    put_one_line(stderr, line);
    fputc('\n', stderr);
}

/* Report a library failure, with the request id and the number of attempts
 * (when more than one) unless the message says them already. The library's
 * messages never hold a secret. */
int library_error(hss_status status, const hss_error *err)
{
    const char *message = hss_error_message(err);
    const char *request_id = hss_error_request_id(err);
    int attempts = hss_error_attempts(err);
    const char *sep = " ("; /* before the next note in parentheses */

    fputs(PROGRAM ": ", stderr);
    put_one_line(stderr, message[0] ? message : hss_status_str(status));
    if (request_id[0] && !strstr(message, request_id)) {
        fputs(" (request id ", stderr);
        put_one_line(stderr, request_id);
        sep = ", ";
    }
    if (attempts > 1 && !strstr(message, "attempt")) {
        fprintf(stderr, "%s%d attempts", sep, attempts);
        sep = ", ";
    }
    if (sep[0] == ',')
        fputc(')', stderr);
    fputc('\n', stderr);
    return exit_code_for(status, err);
}
