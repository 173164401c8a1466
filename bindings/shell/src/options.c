/* The command line: options, their values, and what they exclude. */
#include "command.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_MAX_SECONDS 3600L
/* The library's limits for the retry options (hss.h). */
#define RETRY_BASE_MAX_SECONDS 60L
#define RETRY_CAP_MAX_SECONDS 600L
#define RETRY_CAP_DEFAULT_MS 20000L

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
    OPT_DRY_RUN,
    OPT_LIST_REGIONS,
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
    {"debug", no_argument, NULL, OPT_VERBOSE}, /* what other tools call it */
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"list-regions", no_argument, NULL, OPT_LIST_REGIONS},
    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
    {"retry-base", required_argument, NULL, OPT_RETRY_BASE},
    {"retry-cap", required_argument, NULL, OPT_RETRY_CAP},
    {"signing-algorithm", required_argument, NULL, OPT_SIGNING_ALGORITHM},
    {"derived-key-service", required_argument, NULL, OPT_DERIVED_KEY_SERVICE},
    {"password", optional_argument, NULL, OPT_PASSWORD},
    {"auth-token", optional_argument, NULL, OPT_AUTH_TOKEN},
    {"proxy-password", optional_argument, NULL, OPT_PROXY_PASSWORD},
    {NULL, 0, NULL, 0}};

/* Whether an option is one to suggest: not one refused for taking a secret. */
static int offered(int id)
{
    return id != OPT_PASSWORD && id != OPT_AUTH_TOKEN && id != OPT_PROXY_PASSWORD;
}

/* The formats --show-config and --dry-run print: text or json. */
static int text_or_json(int format)
{
    return format == FORMAT_UNSET || format == FORMAT_TEXT || format == FORMAT_JSON;
}

/* Fills *cmd from argv. Returns -1 to go on, else the exit status. */
int parse_arguments(int argc, char **argv, struct command *cmd)
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
        case OPT_DRY_RUN:
            cmd->client.dry_run = 1;
            break;
        case OPT_LIST_REGIONS:
            cmd->list_regions = 1;
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
            if ((cmd->format = find_format(optarg)) == FORMAT_UNSET)
                return usage_error("--output must be text, table, json, tsv or env", NULL);
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
            return option_refused(argv[optind - 1], optopt, long_options, offered);
        }
    }
    /* Not echoed: a stray argument may well be a secret (--password-stdin VALUE). */
    if (optind < argc)
        return usage_error("unexpected argument; this command takes options only", NULL);
    if (cmd->proxy_password_file && !cmd->client.proxy_username)
        return usage_error("--proxy-password-file needs --proxy-user", NULL);
    if (cmd->client.retry_base_ms > (cmd->client.retry_cap_ms ? cmd->client.retry_cap_ms : RETRY_CAP_DEFAULT_MS))
        return usage_error("--retry-cap (default 20) must be at least --retry-base", NULL);
    if (cmd->list_regions)
        return -1;
    if (cmd->show_config && cmd->client.dry_run)
        return usage_error("--show-config and --dry-run exclude each other", NULL);
    if (cmd->show_config && (cmd->field || !text_or_json(cmd->format)))
        return usage_error("--show-config prints text or json (--output)", NULL);
    if (cmd->client.dry_run && (cmd->field || !text_or_json(cmd->format)))
        return usage_error("--dry-run prints text or json (--output)", NULL);
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
    if (cmd->field && cmd->format != FORMAT_UNSET)
        return usage_error("--field and --output exclude each other", NULL);
    return -1;
}
