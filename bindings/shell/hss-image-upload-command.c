/*
 * hss-image-upload-command — ask Huawei Cloud HSS for the commands that push
 * its scanner images into a private registry, from a shell or a CI script.
 *
 * A thin front over libhss, written against the public header only: this
 * file parses options, reads secrets from stdin or files, and formats the
 * answer. Signing and HTTP are the library's job.
 *
 * Secrets never come from the command line (any user can read
 * /proc/PID/cmdline): the registry password comes from --password-stdin,
 * --password-file or HSS_REGISTRY_PASSWORD; an IAM token from
 * --auth-token-file or HUAWEICLOUD_SDK_AUTH_TOKEN; the proxy password from
 * --proxy-password-file. Without credentials, the library's default chain
 * (OIDC, environment, profile file, ECS metadata, CCE pod identity) finds
 * them, and IAM the project id. What this program reads
 * itself is read without stdio (which would keep copies in its buffers),
 * and wiped before it is freed.
 */
#include <hss.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PROGRAM "hss-image-upload-command"

/* Exit status. Keep in sync with usage() and the man page. */
enum {
    EXIT_OK = 0,
    EXIT_OTHER = 1,   /* bad response, internal error, out of memory, output */
    EXIT_USAGE = 2,   /* usage or invalid input */
    EXIT_CLIENT = 3,  /* no credentials or project id found, authentication or other 4xx */
    EXIT_NETWORK = 4, /* network, TLS or timeout */
    EXIT_SERVER = 5   /* 5xx from the service */
};

/* Longest accepted line, in bytes, for each secret (the library then checks
 * the real limits: 128 characters for the password, 32768 for the token). */
#define PASSWORD_MAX_BYTES 1024
#define TOKEN_MAX_BYTES 32768
#define TIMEOUT_MAX_SECONDS 3600L
/* The library's limits for the retry options (hss.h). */
#define ATTEMPTS_MAX 10
#define RETRY_BASE_MAX_SECONDS 60L
#define RETRY_CAP_MAX_SECONDS 600L
#define RETRY_CAP_DEFAULT_MS 20000L

/* ---------------------------------------------------------------------- */
/* Options                                                                 */
/* ---------------------------------------------------------------------- */

enum option_id {
    OPT_REGION = 256, /* above every char: getopt's optopt tells long from short */
    OPT_ENDPOINT,
    OPT_PROJECT_ID,
    OPT_REGISTRY_ADDR,
    OPT_NAMESPACE,
    OPT_USERNAME,
    OPT_ENTERPRISE_PROJECT_ID,
    OPT_PASSWORD_STDIN,
    OPT_PASSWORD_FILE,
    OPT_AUTH_TOKEN_FILE,
    OPT_CA_FILE,
    OPT_TIMEOUT,
    OPT_OUTPUT,
    OPT_FIELD,
    OPT_HELP,
    OPT_VERSION,
    OPT_IAM_ENDPOINT,
    OPT_PROXY,
    OPT_PROXY_USER,
    OPT_PROXY_PASSWORD_FILE,
    OPT_NO_PROXY,
    OPT_ALLOW_CLEARTEXT_PROXY,
    OPT_SHOW_CONFIG,
    OPT_VERBOSE,
    OPT_MAX_ATTEMPTS,
    OPT_RETRY_BASE,
    OPT_RETRY_CAP,
    OPT_SIGNING_ALGORITHM,
    OPT_DERIVED_KEY_SERVICE,
    OPT_PASSWORD,      /* refused: a secret on the command line */
    OPT_AUTH_TOKEN,    /* refused: a secret on the command line */
    OPT_PROXY_PASSWORD /* refused: a secret on the command line */
};

static const struct option long_options[] = {
    {"region", required_argument, NULL, OPT_REGION},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"project-id", required_argument, NULL, OPT_PROJECT_ID},
    {"registry-addr", required_argument, NULL, OPT_REGISTRY_ADDR},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"username", required_argument, NULL, OPT_USERNAME},
    {"enterprise-project-id", required_argument, NULL, OPT_ENTERPRISE_PROJECT_ID},
    {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"auth-token-file", required_argument, NULL, OPT_AUTH_TOKEN_FILE},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"field", required_argument, NULL, OPT_FIELD},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {"iam-endpoint", required_argument, NULL, OPT_IAM_ENDPOINT},
    {"proxy", required_argument, NULL, OPT_PROXY},
    {"proxy-user", required_argument, NULL, OPT_PROXY_USER},
    {"proxy-password-file", required_argument, NULL, OPT_PROXY_PASSWORD_FILE},
    {"no-proxy", required_argument, NULL, OPT_NO_PROXY},
    {"allow-cleartext-proxy", no_argument, NULL, OPT_ALLOW_CLEARTEXT_PROXY},
    {"show-config", no_argument, NULL, OPT_SHOW_CONFIG},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
    {"retry-base", required_argument, NULL, OPT_RETRY_BASE},
    {"retry-cap", required_argument, NULL, OPT_RETRY_CAP},
    {"signing-algorithm", required_argument, NULL, OPT_SIGNING_ALGORITHM},
    {"derived-key-service", required_argument, NULL, OPT_DERIVED_KEY_SERVICE},
    {"password", optional_argument, NULL, OPT_PASSWORD},
    {"auth-token", optional_argument, NULL, OPT_AUTH_TOKEN},
    {"proxy-password", optional_argument, NULL, OPT_PROXY_PASSWORD},
    {NULL, 0, NULL, 0}};

static void usage(FILE *out)
{
    fputs("Usage: " PROGRAM " [OPTIONS] --registry-addr ADDR --namespace NAME --username USER\n"
          "           (--password-stdin | --password-file FILE | HSS_REGISTRY_PASSWORD=...)\n"
          "       " PROGRAM " [OPTIONS] --show-config\n"
          "\n"
          "Ask Huawei Cloud HSS (ShowImageUploadCommand) for the commands that push its\n"
          "scanner images into your private registry, and print them.\n"
          "\n"
          "Registry:\n"
          "  --registry-addr ADDR          registry host or host:port (required)\n"
          "  --namespace NAME              registry project the images go into (required)\n"
          "  --username USER               registry login user (required)\n"
          "  --password-stdin              read the registry password from the first line of stdin\n"
          "  --password-file FILE          read the registry password from the first line of FILE\n"
          "  --enterprise-project-id ID    e.g. all_granted_eps\n"
          "\n"
          "Service (override the environment, see below):\n"
          "  --region REGION               e.g. cn-north-4\n"
          "  --endpoint URL                https://host[:port] (or a comma-separated list);\n"
          "                                wins over --region\n"
          "  --project-id ID               Huawei Cloud project id (default: looked up in IAM)\n"
          "  --iam-endpoint URL            the IAM that looks the project id up\n"
          "  --auth-token-file FILE        use the IAM token in FILE instead of AK/SK\n"
          "  --ca-file FILE                PEM CA bundle to trust instead of the system store\n"
          "  --timeout SECONDS             limit for the whole call, retries and waits included\n"
          "                                (default 30, at most 3600)\n"
          "  --signing-algorithm NAME      how AK/SK requests are signed: SDK-HMAC-SHA256\n"
          "                                (default), SDK-HMAC-SM3, SDK-ECDSA-P256-SHA256,\n"
          "                                SDK-SM2-SM3 or V11-HMAC-SHA256 (needs a region)\n"
          "  --derived-key-service NAME    V11-HMAC-SHA256's service (default hss)\n"
          "\n"
          "Retries (after a broken connection, 429, 500, 502, 503 or 504; see the manual):\n"
          "  --max-attempts N              attempts per call, the first included (default 3,\n"
          "                                at most 10; 1: no retries)\n"
          "  --retry-base SECONDS          backoff base (default 0.2, at most 60)\n"
          "  --retry-cap SECONDS           longest wait between attempts (default 20, at most 600)\n"
          "\n",
          out);
    fputs("Proxy (default: https_proxy, HTTPS_PROXY, http_proxy, ALL_PROXY, NO_PROXY):\n"
          "  --proxy URL                   http://, https://, socks5:// or socks5h://host[:port];\n"
          "                                \"\" for none\n"
          "  --proxy-user NAME             proxy login user\n"
          "  --proxy-password-file FILE    read the proxy password from the first line of FILE\n"
          "  --no-proxy LIST               hosts that bypass the proxy (a.com,.b.com)\n"
          "  --allow-cleartext-proxy       let an http:// endpoint go through the proxy, which\n"
          "                                then sees the registry password\n"
          "\n"
          "Output:\n"
          "  --show-config                 find credentials and project id, print region,\n"
          "                                endpoint, project id, IAM endpoint, credentials\n"
          "                                (the AK masked) and signing algorithm, each with\n"
          "                                its source, and exit; no HSS call, no registry\n"
          "                                options needed\n"
          "  --output text|json|env        text for people (default), one JSON object, or\n"
          "                                HSS_IMAGE_COMMAND=... lines for eval \"$(...)\"\n"
          "  --field NAME                  print one field raw: image_command,\n"
          "                                images_download_url or swr_image_pull_command\n"
          "  --verbose                     also print, on stderr, where the configuration came\n"
          "                                from, each retry, and each request as signed and sent\n"
          "                                (secrets as ***); warnings are always shown\n"
          "  --help                        print this help and exit\n"
          "  --version                     print the version and exit\n"
          "\n",
          out);
    /* Two strings: C99 compilers need not take a literal over 4095 bytes. */
    fputs("Secrets are never taken from the command line: --password, --auth-token and\n"
          "--proxy-password are refused. The answer itself embeds the registry password:\n"
          "treat it as a secret.\n"
          "\n"
          "Without credentials, the default chain finds them: OIDC (HUAWEICLOUD_OIDC_*), the\n"
          "environment, the profile file (HUAWEICLOUD_SDK_CREDENTIALS_FILE or\n"
          "~/.huaweicloud/credentials), the ECS metadata service, CCE pod identity.\n"
          "\n"
          "Environment:\n"
          "  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK   AK/SK (else CLOUD_SDK_AK, CLOUD_SDK_SK)\n"
          "  HUAWEICLOUD_SDK_SECURITY_TOKEN           with temporary AK/SK\n"
          "  HUAWEICLOUD_SDK_AUTH_TOKEN               IAM token, used when no AK/SK is set\n"
          "  HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION, HUAWEICLOUD_SDK_ENDPOINT\n"
          "  HUAWEICLOUD_SDK_REGION_HSS_<REGION>      endpoint(s) of a region (e.g. _CN_NORTH_4)\n"
          "  HUAWEICLOUD_SDK_IAM_ENDPOINT             IAM for the project id lookup\n"
          "  HUAWEICLOUD_SDK_SIGNING_ALGORITHM        as --signing-algorithm\n"
          "  HSS_REGISTRY_PASSWORD                    registry password, when neither\n"
          "                                           --password-stdin nor --password-file is given\n"
          "\n"
          "Exit status:\n"
          "  0  success\n"
          "  1  any other error (unusable answer, internal error, out of memory, output)\n"
          "  2  usage error or invalid input (nothing was sent)\n"
          "  3  no credentials or project id found, authentication failure or other 4xx\n"
          "  4  network, TLS or timeout failure\n"
          "  5  5xx answer from the service\n"
          "\n"
          "Examples:\n"
          "  printf '%s\\n' \"$pw\" | " PROGRAM " --region cn-north-4 --project-id \"$pid\" \\\n"
          "      --registry-addr harbor.example.com:443 --namespace library --username admin \\\n"
          "      --password-stdin --output env\n"
          "  " PROGRAM " --region cn-north-4 --show-config\n"
          "\n"
          "See " PROGRAM "(1).\n",
          out);
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

/* Print text with every control character turned into a space, so that an
 * error always stays on one line. */
static void put_one_line(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
}

/* One line on stderr: "hss-image-upload-command: <message>". */
static int usage_error(const char *message, const char *detail)
{
    fprintf(stderr, PROGRAM ": %s%s (see --help)\n", message, detail ? detail : "");
    return EXIT_USAGE;
}

static int exit_code_for(hss_status status)
{
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
        return EXIT_NETWORK;
    case HSS_E_HTTP_SERVER:
        return EXIT_SERVER;
    default:
        return EXIT_OTHER;
    }
}

/* The library's diagnostics, one line each on stderr: warnings always (a
 * credentials file that others can read...), info lines (sources, retries)
 * and debug lines (each request as signed and sent, secrets as "***") with
 * --verbose or HSS_DEBUG=1. The library never puts a secret in them. */
static void trace_line(hss_trace_level level, const char *line, void *user)
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
static int library_error(hss_status status, const hss_error *err)
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
    return exit_code_for(status);
}

/* ---------------------------------------------------------------------- */
/* Secrets                                                                 */
/* ---------------------------------------------------------------------- */

/* A secret in memory this program owns; wiped by secret_free. */
struct secret {
    char *text;
    size_t capacity;
};

static void wipe(void *memory, size_t size)
{
    volatile unsigned char *p = memory;
    while (size--)
        *p++ = 0;
}

static void secret_free(struct secret *secret)
{
    if (secret->text) {
        wipe(secret->text, secret->capacity);
        free(secret->text);
    }
    secret->text = NULL;
    secret->capacity = 0;
}

/* Read the first line of fd (without its "\n" or "\r\n") into a new
 * secret of at most max_bytes. read(2), not stdio, so no copy is left in a
 * stdio buffer. Returns NULL on success, else what went wrong. */
static const char *read_secret_line(int fd, size_t max_bytes, struct secret *out)
{
    struct secret s = {malloc(max_bytes + 2), max_bytes + 2};
    size_t length = 0;
    char *newline = NULL;

    if (!s.text)
        return "out of memory";
    while (!newline && length < s.capacity - 1) {
        ssize_t n = read(fd, s.text + length, s.capacity - 1 - length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int error = errno;
            secret_free(&s);
            return strerror(error);
        }
        if (n == 0)
            break;
        newline = memchr(s.text + length, '\n', (size_t)n);
        length += (size_t)n;
    }
    if (newline)
        length = (size_t)(newline - s.text);
    else if (length > max_bytes) {
        secret_free(&s);
        return "the line is too long";
    }
    /* A C string would end at the NUL and silently use a shorter secret. */
    if (memchr(s.text, '\0', length)) {
        secret_free(&s);
        return "the line contains a NUL byte";
    }
    if (length > 0 && s.text[length - 1] == '\r')
        length--;
    s.text[length] = '\0';
    *out = s;
    return NULL;
}

/* The terminal settings to restore if a signal ends us while echo is off. */
static struct termios echo_terminal;
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void restore_echo_and_die(int sig)
{
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &echo_terminal); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* --password-stdin. On a terminal, prompt and do not echo; Ctrl-C at the
 * prompt still leaves the terminal echoing. */
static int read_password_stdin(struct secret *out)
{
    struct termios quiet;
    struct sigaction restore, previous[sizeof prompt_signals / sizeof prompt_signals[0]];
    int terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &echo_terminal) == 0;
    const char *problem;
    size_t i;

    if (terminal) {
        memset(&restore, 0, sizeof restore);
        restore.sa_handler = restore_echo_and_die;
        sigemptyset(&restore.sa_mask);
        for (i = 0; i < sizeof prompt_signals / sizeof prompt_signals[0]; i++)
            sigaction(prompt_signals[i], &restore, &previous[i]);
        /* Echo goes off before the prompt appears, so nothing typed after
         * seeing it can be echoed. */
        quiet = echo_terminal;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fputs("Registry password: ", stderr);
    }
    problem = read_secret_line(STDIN_FILENO, PASSWORD_MAX_BYTES, out);
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &echo_terminal);
        for (i = 0; i < sizeof prompt_signals / sizeof prompt_signals[0]; i++)
            sigaction(prompt_signals[i], &previous[i], NULL);
        fputc('\n', stderr);
    }
    if (problem) {
        fprintf(stderr, PROGRAM ": cannot read the password from --password-stdin: %s\n", problem);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The first line of a file, for --password-file and --auth-token-file. */
static int read_secret_file(const char *option, const char *path, size_t max_bytes, struct secret *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    const char *problem = fd < 0 ? strerror(errno) : read_secret_line(fd, max_bytes, out);

    if (fd >= 0)
        close(fd);
    if (problem) {
        fprintf(stderr, PROGRAM ": cannot read %s %s: %s\n", option, path, problem);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* ---------------------------------------------------------------------- */
/* Output: one function per format                                         */
/* ---------------------------------------------------------------------- */

static const struct field {
    const char *name;     /* as in the API and for --field */
    const char *variable; /* for --output env */
    const char *(*get)(const hss_image_upload_command *);
} fields[] = {
    {"image_command", "HSS_IMAGE_COMMAND", hss_image_upload_command_image_command},
    {"images_download_url", "HSS_IMAGES_DOWNLOAD_URL", hss_image_upload_command_images_download_url},
    {"swr_image_pull_command", "HSS_SWR_IMAGE_PULL_COMMAND", hss_image_upload_command_swr_image_pull_command},
};
#define FIELD_COUNT (sizeof fields / sizeof fields[0])

static const struct field *find_field(const char *name)
{
    for (size_t i = 0; i < FIELD_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* Print text with control characters shown as \n, \r, \t or \xHH, so that
 * a value cannot drive the terminal. */
static void put_visible(const char *text)
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
static const char *const signing_algorithms[] = {
    "SDK-HMAC-SHA256", /* HSS_SIGNING_DEFAULT */
    "SDK-HMAC-SHA256", "SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256",
};

/* --show-config: "name: value (source)" for each setting of a resolved
 * client, then the signing algorithm, chosen as the library chooses it.
 * No setting is a secret: the AK comes masked ("ABCD...WXYZ"). */
static void print_config(hss_client *client, int algorithm)
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

static const struct format {
    const char *name;
    void (*print)(const hss_image_upload_command *);
} formats[] = {
    {"text", print_text},
    {"json", print_json},
    {"env", print_env},
};

static const struct format *find_format(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Main                                                                    */
/* ---------------------------------------------------------------------- */

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

/* Parse the SECONDS of --timeout, --retry-base or --retry-cap: decimal digits with an
 * optional fraction ("30", "0.5", ".5"; leading zeros are decimal too: "010" is 10), more
 * than 0 and at most max_seconds. No sign, exponent, hex, inf/nan or spaces, which strtod
 * would take. Whole milliseconds, rounded up (0.0001 s is 1 ms, not 0), computed in
 * integers so that no number of digits can overflow. */
static int parse_seconds(const char *option, const char *text, long max_seconds, long *out_ms)
{
    const char *p = text;
    long seconds = 0, ms = 0;
    int digits = 0, places = 0, round_up = 0;

    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if (seconds <= max_seconds) /* stop growing once too large: no overflow */
            seconds = seconds * 10 + (*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (places < 3)
                ms = ms * 10 + (*p - '0'), places++;
            else if (*p != '0')
                round_up = 1;
        }
    for (; places < 3; places++)
        ms *= 10;
    ms += seconds * 1000 + round_up; /* seconds is at most 10 * max_seconds + 9 here */
    if (*p != '\0' || digits == 0 || ms == 0 || ms > max_seconds * 1000) {
        fprintf(stderr,
                PROGRAM ": %s takes a decimal number of seconds, more than 0 and at most %ld "
                        "(such as 30 or 0.5) (see --help)\n",
                option, max_seconds);
        return EXIT_USAGE;
    }
    *out_ms = ms;
    return EXIT_OK;
}

/* Parse --max-attempts N: decimal digits only, 1 to ATTEMPTS_MAX. */
static int parse_attempts(const char *text, int *attempts)
{
    const char *p = text;
    int n = 0;

    for (; *p >= '0' && *p <= '9' && n <= ATTEMPTS_MAX; p++)
        n = n * 10 + (*p - '0');
    if (*p != '\0' || p == text || n < 1 || n > ATTEMPTS_MAX)
        return usage_error("--max-attempts takes a whole number from 1 (no retries) to 10", NULL);
    *attempts = n;
    return EXIT_OK;
}

/* Parse --signing-algorithm NAME: one of the scheme names, exactly. */
static int parse_signing_algorithm(const char *text, int *algorithm)
{
    for (int i = HSS_SIGNING_HMAC_SHA256; i <= HSS_SIGNING_V11_HMAC_SHA256; i++)
        if (strcmp(text, signing_algorithms[i]) == 0) {
            *algorithm = i;
            return EXIT_OK;
        }
    return usage_error("--signing-algorithm must be SDK-HMAC-SHA256, SDK-HMAC-SM3, SDK-ECDSA-P256-SHA256, "
                       "SDK-SM2-SM3 or V11-HMAC-SHA256",
                       NULL);
}

/* The option name as typed, without "=value" (never echo a value). */
static const char *option_name(const char *arg, char *buffer, size_t size)
{
    size_t n = strcspn(arg, "=");
    if (n >= size)
        n = size - 1;
    memcpy(buffer, arg, n);
    buffer[n] = '\0';
    return buffer;
}

/* Fills *cmd from argv. Returns -1 to go on, else the exit status. */
static int parse_arguments(int argc, char **argv, struct command *cmd)
{
    char name[64];
    int id;

    opterr = 0; /* our own messages: getopt's would echo the argument */
    while ((id = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (id) {
        case OPT_REGION:
            cmd->client.region = optarg;
            break;
        case OPT_ENDPOINT:
            cmd->client.endpoint = optarg;
            break;
        case OPT_PROJECT_ID:
            cmd->client.project_id = optarg;
            break;
        case OPT_CA_FILE:
            cmd->client.ca_file = optarg;
            break;
        case OPT_REGISTRY_ADDR:
            cmd->request.registry_addr = optarg;
            break;
        case OPT_NAMESPACE:
            cmd->request.namespace_name = optarg;
            break;
        case OPT_USERNAME:
            cmd->request.username = optarg;
            break;
        case OPT_ENTERPRISE_PROJECT_ID:
            cmd->request.enterprise_project_id = optarg;
            break;
        case OPT_PASSWORD_STDIN:
            cmd->password_stdin = 1;
            break;
        case OPT_PASSWORD_FILE:
            cmd->password_file = optarg;
            break;
        case OPT_AUTH_TOKEN_FILE:
            cmd->auth_token_file = optarg;
            break;
        case OPT_IAM_ENDPOINT:
            cmd->client.iam_endpoint = optarg;
            break;
        case OPT_PROXY:
            cmd->client.proxy = optarg;
            break;
        case OPT_PROXY_USER:
            cmd->client.proxy_username = optarg;
            break;
        case OPT_PROXY_PASSWORD_FILE:
            cmd->proxy_password_file = optarg;
            break;
        case OPT_NO_PROXY:
            cmd->client.no_proxy = optarg;
            break;
        case OPT_ALLOW_CLEARTEXT_PROXY:
            cmd->client.allow_cleartext_proxy = 1;
            break;
        case OPT_SHOW_CONFIG:
            cmd->show_config = 1;
            break;
        case OPT_VERBOSE:
            cmd->verbose = 1;
            break;
        case OPT_TIMEOUT:
            if (parse_seconds("--timeout", optarg, TIMEOUT_MAX_SECONDS, &cmd->client.timeout_ms) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_MAX_ATTEMPTS:
            if (parse_attempts(optarg, &cmd->client.max_attempts) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_RETRY_BASE:
            if (parse_seconds("--retry-base", optarg, RETRY_BASE_MAX_SECONDS, &cmd->client.retry_base_ms) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_RETRY_CAP:
            if (parse_seconds("--retry-cap", optarg, RETRY_CAP_MAX_SECONDS, &cmd->client.retry_cap_ms) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_SIGNING_ALGORITHM:
            if (parse_signing_algorithm(optarg, &cmd->client.signing_algorithm) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_DERIVED_KEY_SERVICE:
            cmd->client.derived_key_service = optarg;
            break;
        case OPT_OUTPUT:
            if (!(cmd->format = find_format(optarg)))
                return usage_error("--output must be text, json or env", NULL);
            break;
        case OPT_FIELD:
            if (!(cmd->field = find_field(optarg)))
                return usage_error("--field must be image_command, images_download_url "
                                   "or swr_image_pull_command",
                                   NULL);
            break;
        case OPT_PASSWORD:
            return usage_error("refusing --password: a command line is visible to every user; "
                               "use --password-stdin, --password-file FILE "
                               "or the HSS_REGISTRY_PASSWORD environment variable",
                               NULL);
        case OPT_AUTH_TOKEN:
            return usage_error("refusing --auth-token: a command line is visible to every user; "
                               "use --auth-token-file FILE "
                               "or the HUAWEICLOUD_SDK_AUTH_TOKEN environment variable",
                               NULL);
        case OPT_PROXY_PASSWORD:
            return usage_error("refusing --proxy-password: a command line is visible to every user; "
                               "use --proxy-password-file FILE",
                               NULL);
        case 'h':
        case OPT_HELP:
            usage(stdout);
            return EXIT_OK;
        case OPT_VERSION:
            printf(PROGRAM " %s (libhss %s)\n", HSS_VERSION_STRING, hss_version_string());
            return EXIT_OK;
        case ':':
            return usage_error("missing value for ", option_name(argv[optind - 1], name, sizeof name));
        default:
            if (optopt > 0 && optopt < 256) { /* a short option: optind may not have moved */
                name[0] = '-', name[1] = (char)optopt, name[2] = '\0';
                return usage_error("unknown option ", name);
            }
            return usage_error("unknown option, ambiguous abbreviation or unexpected value: ",
                               option_name(argv[optind - 1], name, sizeof name));
        }
    }
    /* Not echoed: a stray argument may well be a secret (--password-stdin VALUE). */
    if (optind < argc)
        return usage_error("unexpected argument; this command takes options only", NULL);
    if (cmd->proxy_password_file && !cmd->client.proxy_username)
        return usage_error("--proxy-password-file needs --proxy-user", NULL);
    if (cmd->client.retry_base_ms > (cmd->client.retry_cap_ms ? cmd->client.retry_cap_ms : RETRY_CAP_DEFAULT_MS))
        return usage_error("--retry-cap (default 20) must be at least --retry-base", NULL);
    if (cmd->show_config) { /* no call: the registry options and password are neither needed nor read */
        cmd->password_stdin = 0;
        cmd->password_file = NULL;
        return -1;
    }

    if (!cmd->request.registry_addr)
        return usage_error("--registry-addr is required", NULL);
    if (!cmd->request.namespace_name)
        return usage_error("--namespace is required", NULL);
    if (!cmd->request.username)
        return usage_error("--username is required", NULL);
    if (cmd->password_stdin && cmd->password_file)
        return usage_error("--password-stdin and --password-file exclude each other", NULL);
    if (!cmd->password_stdin && !cmd->password_file && !getenv("HSS_REGISTRY_PASSWORD"))
        return usage_error("no registry password: use --password-stdin, --password-file FILE "
                           "or the HSS_REGISTRY_PASSWORD environment variable",
                           NULL);
    if (cmd->field && cmd->format)
        return usage_error("--field and --output exclude each other", NULL);
    return -1;
}

/* Ask HSS and print the answer (or, with --show-config, resolve and print
 * the settings). The secrets are already read. */
static int run(struct command *cmd)
{
    hss_client *client = NULL;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_status status;
    int code;

    cmd->client.user_agent_suffix = PROGRAM "/" HSS_VERSION_STRING;
    cmd->client.trace = trace_line;
    cmd->client.trace_user = &cmd->verbose;
    if (getenv("HSS_DEBUG") && strcmp(getenv("HSS_DEBUG"), "1") == 0)
        cmd->verbose = 1; /* what the library does without a trace function */
    /* Debug lines cost the library work: asked for only when they are shown. */
    cmd->client.trace_level = cmd->verbose ? HSS_TRACE_DEBUG : HSS_TRACE_WARNING;

    status = hss_client_new_from_env(&cmd->client, &client, &err);
    if (status == HSS_OK && cmd->show_config)
        status = hss_client_resolve(client, &err);
    else if (status == HSS_OK)
        status = hss_image_upload_command_get(client, &cmd->request, &result, &err);
    if (status != HSS_OK) {
        code = library_error(status, err);
    } else {
        if (cmd->show_config)
            print_config(client, cmd->client.signing_algorithm);
        else if (cmd->field)
            printf("%s\n", cmd->field->get(result));
        else
            cmd->format->print(result);
        code = EXIT_OK;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, PROGRAM ": cannot write the output: %s\n", strerror(errno));
            code = EXIT_OTHER;
        }
    }
    hss_image_upload_command_free(result); /* wipes the answer: it holds the password */
    hss_error_free(err);
    hss_client_free(client);
    return code;
}

int main(int argc, char **argv)
{
    struct command cmd = {
        HSS_CLIENT_OPTIONS_INIT, HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT, 0, NULL, NULL, NULL, NULL, NULL, 0, 0};
    struct secret password = {NULL, 0}, token = {NULL, 0}, proxy_password = {NULL, 0};
    int code = parse_arguments(argc, argv, &cmd);

    if (code >= 0)
        return code;
    if (!cmd.field && !cmd.format)
        cmd.format = find_format("text");

    code = EXIT_OK;
    if (cmd.password_stdin)
        code = read_password_stdin(&password);
    else if (cmd.password_file)
        code = read_secret_file("--password-file", cmd.password_file, PASSWORD_MAX_BYTES, &password);
    if (code == EXIT_OK && cmd.auth_token_file)
        code = read_secret_file("--auth-token-file", cmd.auth_token_file, TOKEN_MAX_BYTES, &token);
    if (code == EXIT_OK && cmd.proxy_password_file)
        code = read_secret_file("--proxy-password-file", cmd.proxy_password_file, PASSWORD_MAX_BYTES, &proxy_password);

    if (code == EXIT_OK) {
        cmd.request.password = password.text ? password.text : getenv("HSS_REGISTRY_PASSWORD");
        cmd.client.auth_token = token.text; /* NULL: the environment's credentials, else the chain */
        cmd.client.proxy_password = proxy_password.text;
        code = run(&cmd);
    }
    secret_free(&password);
    secret_free(&token);
    secret_free(&proxy_password);
    return code;
}
