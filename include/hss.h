/*
 * libhss — call Huawei Cloud Host Security Service (HSS) from C.
 *
 * This header is the whole public, stable C ABI of libhss.so.1. It is
 * hand-written C99 and usable from C++.
 *
 * Conventions (the same for every function):
 *  - Every fallible function returns an hss_status. HSS_OK is 0.
 *  - The object comes first, inputs next, outputs last. Outputs are written
 *    only on success; on failure *out is left untouched.
 *  - `hss_error **err` may be NULL. When it is not NULL, *err must be NULL
 *    on entry (as with GLib's GError): a non-NULL *err is a caller bug, and
 *    the call does nothing but return HSS_E_INVALID_ARGUMENT, leaving *err
 *    as it was (it is neither freed nor overwritten). When the call fails,
 *    *err receives a new error object describing the failure (free it with
 *    hss_error_free). On success *err is left NULL.
 *  - A NULL pointer where an object or output is required is reported as
 *    HSS_E_INVALID_ARGUMENT, never a crash.
 *  - Versioned structs (hss_client_options, hss_image_upload_command_request)
 *    start with `version`. Fill one with its _init function (or the _INIT
 *    macro) for the version you compiled against; the library accepts every
 *    version from 1 to its own, reads only that version's fields and gives
 *    later fields their defaults. Version 0 or a version newer than the
 *    library is HSS_E_INVALID_ARGUMENT.
 *  - Every object the library allocates has its own _free function, and
 *    _free(NULL) is a no-op. Never release library memory with free().
 *  - Strings are NUL-terminated UTF-8. Strings returned by accessors belong
 *    to the object and stay valid until the object is freed.
 *  - Secrets (SK, security token, auth token, registry password) are copied
 *    into library-owned memory that is wiped when no longer needed, and so
 *    are everything built from them (query, URL, canonical request, header
 *    lines) and every answer body, read straight into wiped memory.
 *    What can remain in freed memory after hss_client_free: libcurl's own
 *    buffers, which libcurl frees without wiping. They hold the request as
 *    sent (the URL with the percent-encoded query, registry password
 *    included, and the header lines, X-Security-Token or X-Auth-Token
 *    included) and the answer as received (the image command may embed the
 *    password; an error body may echo the request; a credential service's
 *    answer holds temporary keys); the proxy password, which libcurl copies;
 *    over TLS, OpenSSL's record buffers likewise. The SK itself never
 *    reaches libcurl. An
 *    application that must leave nothing behind can give libcurl and
 *    OpenSSL wiping allocators (curl_global_init_mem, CRYPTO_set_mem_functions)
 *    before anything in the process initialises them. (Bytes the CPU left
 *    in registers, which the dynamic loader may spill to the stack, are
 *    beyond any library's reach.)
 *  - Redaction: every text that comes from the service or the network
 *    (error code, message or raw body, request ids, libcurl's error text),
 *    from HSS, IAM, STS, the metadata service, pod identity or a proxy, is
 *    redacted before it is stored or traced, with every secret the client
 *    holds at that moment (the options' SK, tokens and proxy password, the
 *    keys of its current and previous temporary credentials, the call's
 *    registry password, a token file's content). Every secret, anywhere in
 *    the text, becomes "***", raw or under one or two nested layers of these
 *    encodings, each layer encoding any of the characters it is given:
 *    per byte, percent-encoding with upper- or lower-case hex (so RFC 3986,
 *    WHATWG, Java and Python encoders alike, `~` and `/` escaped or not) or
 *    "+" for a space; JSON string escapes (\/, \", \\, \uXXXX in either
 *    case, surrogate pairs). So `/` is also found as %252F or
 *    \u0025\u0032\u0046, and `é` as \\u00e9 or %5Cu00e9. Overlapping
 *    matches merge into one "***". A text holding a secret shorter than 4
 *    bytes is withheld whole (a warning says so once per client), and any
 *    "password=" value is starred whatever its encoding. A third layer,
 *    Base64 and other transformations are not recognised.
 *  - Answers: a body (success or error) is read up to 256 KiB; a larger one
 *    is HSS_E_BAD_RESPONSE. A JSON answer must be strict RFC 8259 JSON; an
 *    object with a duplicate key is refused (HSS_E_BAD_RESPONSE for a
 *    success; an error body with one is shown as raw text).
 *  - TLS: the system CA store, or only ca_file's. SSLKEYLOGFILE is ignored:
 *    libhss never writes TLS session keys, whatever the environment says.
 *  - Result and error objects are independent of the client: they stay
 *    valid after hss_client_free.
 *
 * Thread safety: an hss_client may be shared by any number of threads that
 * call hss_image_upload_command_get at the same time; the client keeps a pool
 * of connections and each call uses one of them exclusively. hss_client_free
 * must not run while another thread still uses the client (calls that do
 * not block may still be in flight: it cancels them). Result and error
 * objects belong to the thread that received them. All other functions are
 * thread-safe. libhss initialises libcurl itself, once, thread-safely. Which
 * thread runs the callbacks of calls that do not block, and what they may
 * do: "Calls that do not block", at the end of this file.
 *
 * fork(): a client made before fork() may be used in both processes (in the
 * child only if the parent was single-threaded when it forked, as POSIX
 * requires of any library). Each process uses only connections it opened
 * itself: the child never touches the parent's kept-alive connections (nor
 * their TLS state), so no process can receive another's answer. The child
 * leaves its inherited copies alone (they close at exit or exec) and its
 * first call opens a new connection; hss_client_free in the child frees
 * only what the child made. A process that has used calls that do not
 * block has libhss's threads: see "Calls that do not block" for its child.
 */
#ifndef HSS_H
#define HSS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HSS_API __attribute__((visibility("default")))
#else
#define HSS_API
#endif

/* ---------------------------------------------------------------------- */
/* Version                                                                 */
/* ---------------------------------------------------------------------- */

#define HSS_VERSION_MAJOR 1
#define HSS_VERSION_MINOR 2
#define HSS_VERSION_PATCH 0
#define HSS_VERSION_STRING "1.2.0"
/* 0xMMmmpp, like LIBCURL_VERSION_NUM. */
#define HSS_VERSION_NUM ((HSS_VERSION_MAJOR << 16) | (HSS_VERSION_MINOR << 8) | HSS_VERSION_PATCH)
#define HSS_AT_LEAST_VERSION(major, minor, patch) \
    (HSS_VERSION_NUM >= (((major) << 16) | ((minor) << 8) | (patch)))

/* The version of the library actually loaded, as HSS_VERSION_NUM.
 * Compare with the macro to detect a header/library mismatch.
 * Returns: the version number; never fails. */
HSS_API unsigned int hss_version_number(void);
/* The same as a constant string such as "1.1.0".
 * Returns: a static string; never NULL. */
HSS_API const char *hss_version_string(void);

/* ---------------------------------------------------------------------- */
/* Status codes. New codes are only ever added at the end.                 */
/* ---------------------------------------------------------------------- */

typedef enum hss_status {
    HSS_OK = 0,
    /* A required argument is NULL, empty, too long, malformed, or a client
     * option is inconsistent. Nothing was sent. */
    HSS_E_INVALID_ARGUMENT = 1,
    /* Memory could not be allocated (libhss's or libcurl's own allocation;
     * never an answer's fault). */
    HSS_E_OUT_OF_MEMORY = 2,
    /* Name resolution, connect, send or receive failed: the transport broke
     * (refused, reset, closed early, an answer cut short). */
    HSS_E_NETWORK = 3,
    /* TLS handshake or certificate verification failed. */
    HSS_E_TLS = 4,
    /* The connect timeout or the total timeout expired. */
    HSS_E_TIMEOUT = 5,
    /* The service answered 4xx (authentication, permission, throttling,
     * bad parameter...). See the error object for details. */
    HSS_E_HTTP_CLIENT = 6,
    /* The service answered 5xx. */
    HSS_E_HTTP_SERVER = 7,
    /* The peer sent something libhss cannot use: not strict JSON, a missing
     * field, a body over the size cap, an unexpected status such as a
     * redirect, a malformed status line or header, HTTP/0.9, a header over
     * libcurl's limits, broken chunked or content encoding. */
    HSS_E_BAD_RESPONSE = 8,
    /* A bug in libhss (never caused by the peer); please report it. */
    HSS_E_INTERNAL = 9,
    /* No credentials or project id could be obtained: the caller gave no
     * credentials and every provider of the default chain failed (the
     * message names each provider and why it did not apply), a provider's
     * answer was unusable or expired, or IAM knows zero or several projects
     * for the region. Nothing was sent to HSS. */
    HSS_E_CREDENTIALS = 10,
    /* The client was made with dry_run: the request was validated, built
     * and signed, and not sent. hss_error_service_message holds it as it
     * would have been sent, redacted as debug trace lines are. */
    HSS_E_DRY_RUN = 11,
    /* The call's cancel switch was triggered (hss_cancel_trigger) before it
     * completed, or its client was freed while it was in flight. A transfer
     * under way was stopped and its connection closed. */
    HSS_E_CANCELLED = 12
} hss_status;

/* A constant, static English description of a status ("invalid argument").
 * Returns: a static string; "unknown status" for an unknown value; never
 * NULL. */
HSS_API const char *hss_status_str(hss_status status);

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

typedef struct hss_error hss_error;

/* The status this error explains.
 * Returns: the status; HSS_OK for a NULL err. */
HSS_API hss_status hss_error_status(const hss_error *err);
/* A human-readable, single-line message naming the failing field or step.
 * Never contains a secret. Whatever its parts came from (a path from the
 * environment, a file, any service's answer), it is one printable line: no
 * control character (C0, DEL, C1), line or paragraph separator or
 * bidirectional formatting character; a run of them becomes one space.
 * Returns: a string owned by err; never NULL ("" for a NULL err). The same
 * holds for every string accessor below. */
HSS_API const char *hss_error_message(const hss_error *err);
/* The HTTP status of the service's answer.
 * Returns: the status, or 0 when there was no answer (or err is NULL). */
HSS_API int hss_error_http_status(const hss_error *err);
/* The service's error code (e.g. "APIGW.0301"), read from error_code,
 * errorCode or code (else error.code) in the body as the official SDKs do,
 * redacted and cut to 128 characters.
 * Returns: a string owned by err; "" when none. */
HSS_API const char *hss_error_code(const hss_error *err);
/* The service's own error message (error_msg, errorMsg or message, else
 * error.message; the raw body text when the body is not a JSON object),
 * redacted (see Redaction above), cut to 1024 characters. It may span
 * lines (APIGW.0301 quotes the request it saw). Not to be confused with
 * hss_error_message, libhss's one-line summary.
 * Returns: a string owned by err; "" when none. */
HSS_API const char *hss_error_service_message(const hss_error *err);
/* The X-Request-Id response header (or request_id in the body), redacted
 * like every text from the service (a secret in it becomes "***"), then
 * kept only if it is printable ASCII without spaces, at most 128
 * characters; "" otherwise or when none. Quote it when contacting Huawei
 * Cloud support.
 * Returns: a string owned by err; "" when none. */
HSS_API const char *hss_error_request_id(const hss_error *err);
/* How many attempts the call made (see Retries): 1 when it was not
 * retried; 0 when nothing was sent (invalid input, no credentials).
 * Returns: the count; 0 for a NULL err. */
HSS_API int hss_error_attempts(const hss_error *err);
/* Whether the same call may succeed if made again later, as is: the
 * transport broke or timed out (HSS_E_NETWORK, HSS_E_TIMEOUT), or the
 * service was busy or failing (HTTP 429, 500, 502, 503, 504), after the
 * retries libhss already made. 0 for the caller's own mistakes (invalid
 * input, credentials, permissions, another 4xx), TLS failures and answers
 * libhss cannot use: trying again without changing something fails again.
 * Returns: 1 or 0; 0 for a NULL err. */
HSS_API int hss_error_retryable(const hss_error *err);
/* Free an error object. NULL is a no-op. Returns: nothing. */
HSS_API void hss_error_free(hss_error *err);

/* ---------------------------------------------------------------------- */
/* Client                                                                  */
/* ---------------------------------------------------------------------- */

typedef struct hss_client hss_client;

/* Diagnostics: one line of text (no newline, never a secret: every
 * secret is redacted as in error objects) and its level. Warnings say that
 * something works but should be fixed (a credentials file that others can
 * read); info lines say where the configuration came from (the credential
 * source, a discovered project id, an endpoint failover). Called on the
 * thread of the blocking call that caused it, but on libhss's engine or
 * worker thread for a call that does not block and for a blocking call
 * given a cancel switch; possibly on several threads at once; the line is
 * valid only during the call; the function must not call back
 * into the same client. Debug lines show each request: the canonical
 * request and the string to sign with every secret (and the registry
 * password) replaced by "***", the headers sent (the signature shown, the
 * AK masked to its first and last 4 characters, tokens starred), status,
 * request id and timings, each retry decision and the clock-skew
 * correction: what a signature mismatch (APIGW.0301) needs to be
 * diagnosed. No line carries a value computed from a secret that is not
 * also keyed by the SK: where the canonical request holds a secret (the
 * registry password, a security token), the string to sign's hash of it is
 * withheld, since it would let anyone holding the trace test guesses of the
 * secret offline; the signature, keyed by the SK, is shown. Every line is
 * one printable line, as hss_error_message. Without a trace function, HSS_DEBUG=1 in the environment
 * prints every line of every level to stderr, prefixed with "libhss: " and
 * the level ("libhss: warning: ...", "libhss: debug: ..."). */
typedef enum hss_trace_level {
    HSS_TRACE_WARNING = 1,
    HSS_TRACE_INFO = 2,
    HSS_TRACE_DEBUG = 3
} hss_trace_level;

typedef void (*hss_trace_fn)(hss_trace_level level, const char *line, void *user);

/* How AK/SK requests are signed (the official SDKs' five schemes; the
 * Authorization header names the one used).
 *  - HMAC_SHA256: the default, what the official HSS clients use.
 *  - HMAC_SM3: HMAC and hashes with SM3 (China's commercial cryptography).
 *  - ECDSA_P256_SHA256 and SM2_SM3: an EC key derived from the AK/SK as the
 *    official SDKs derive it, prepared once per client (SM2: about 0.7 ms).
 *    SM2's Z_A is computed as GB/T 32918 says, with 32-byte coordinates; the
 *    official Python SDK drops leading zero bytes, so for about one key in
 *    128 (a public coordinate below 2^248) its signatures and ours differ,
 *    and a verifier that follows the SDK would refuse ours (OpenSSL's and
 *    the standard's accept them).
 *  - V11_HMAC_SHA256: a key derived per day, region and service (HKDF), for
 *    accounts that require derived keys. The official HSS client never uses
 *    it (it sets no service); libhss uses it only when asked, with the
 *    client's region and derived_key_service ("hss" by default).
 * IAM's project lookup is signed with the same algorithm, except V11 (as
 * the official SDKs do: IAM takes SDK-HMAC-SHA256 then). An IAM token
 * (auth_token) is never signed. hss_client_new_from_env also reads
 * HUAWEICLOUD_SDK_SIGNING_ALGORITHM (libhss's own), a scheme name such as
 * "SDK-HMAC-SM3". */
typedef enum hss_signing_algorithm {
    HSS_SIGNING_DEFAULT = 0,
    HSS_SIGNING_HMAC_SHA256 = 1,
    HSS_SIGNING_HMAC_SM3 = 2,
    HSS_SIGNING_ECDSA_P256_SHA256 = 3,
    HSS_SIGNING_SM2_SM3 = 4,
    HSS_SIGNING_V11_HMAC_SHA256 = 5
} hss_signing_algorithm;

/* Where the completions of calls that do not block run (see "Calls that
 * do not block" below). */
typedef enum hss_completions {
    /* On libhss's engine thread, as soon as each call completes. */
    HSS_COMPLETIONS_LIBRARY_THREAD = 0,
    /* On the caller's thread, in hss_client_dispatch, which the caller runs
     * when hss_client_completion_fd is readable (its own event loop). */
    HSS_COMPLETIONS_DISPATCH = 1
} hss_completions;

#define HSS_CLIENT_OPTIONS_VERSION 4

/* Client configuration. Initialise with hss_client_options_init or
 * HSS_CLIENT_OPTIONS_INIT so that fields added in later versions get their
 * defaults. NULL or 0 means "not set". All strings are copied; the caller
 * may free them after the call.
 *
 * Endpoint, first match wins:
 *   1. `endpoint`: "https://host[:port]" (http or https, no path, query or
 *      credentials), or a comma-separated list of such URLs;
 *   2. HUAWEICLOUD_SDK_REGION_HSS_<REGION> (the region upper-cased, '-' as
 *      '_'): a comma-separated list; spaces around items are trimmed and
 *      "https://" is added to an item without a scheme;
 *   3. the regions file, HUAWEICLOUD_SDK_REGIONS_FILE or
 *      ~/.huaweicloud/regions.yaml (the official SDKs' format: a service key
 *      "HSS" holding a list of {id, endpoint, endpoints}); an empty or
 *      malformed file is HSS_E_INVALID_ARGUMENT naming the file and line;
 *   4. the built-in table: https://hss.{region}.myhuaweicloud.com (.eu for
 *      eu-west-101).
 * Steps 2-4 need `region`. With several endpoints a call moves on to the
 * next one when name resolution, connecting or the TLS handshake fails,
 * and the client keeps using the one that answered.
 *
 * Authentication: exactly one of
 *   - `ak` + `sk` (+ optional `security_token` for temporary credentials):
 *     each request is signed with `signing_algorithm` (SDK-HMAC-SHA256
 *     unless set: see hss_signing_algorithm above);
 *   - `auth_token`: an IAM token sent as X-Auth-Token;
 *   - nothing: the official SDKs' default credential chain, tried in this
 *     order on first use (or by hss_client_resolve): OIDC federation
 *     through STS (HUAWEICLOUD_OIDC_*), the environment
 *     (HUAWEICLOUD_SDK_AK/SK/SECURITY_TOKEN, or HUAWEICLOUD_SDK_IDP_ID +
 *     HUAWEICLOUD_SDK_ID_TOKEN_FILE), the profile file
 *     (HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials,
 *     section [basic] or [basiccredentials]), the ECS/BMS metadata service
 *     (http://169.254.169.254, or HUAWEICLOUD_SDK_METADATA_ENDPOINT), CCE
 *     pod identity (HC_CONTAINER_CREDENTIALS_FULL_URI +
 *     HC_CONTAINER_AUTHORIZATION_TOKEN_FILE). Temporary credentials are
 *     renewed, by one thread while the others wait, when less than 40
 *     minutes of validity remain; an expired key is never used.
 *
 * Project id: `project_id`, else the credential source's (environment
 * HUAWEICLOUD_SDK_PROJECT_ID, profile project_id), else looked up on first
 * use with IAM's GET /v3/projects?name=<region> (signed), from
 * `iam_endpoint`, the profile's iam_endpoint, HUAWEICLOUD_SDK_IAM_ENDPOINT,
 * https://iam.{region}.myhuaweicloud.com for the regions IAM serves, else
 * https://iam.myhuaweicloud.com. The answer is cached per (AK, region, IAM
 * endpoint) for the life of the process. Discovery needs `region`.
 *
 * Proxy: `proxy` (http://, https://, socks5:// or socks5h://, no
 * credentials in it: use proxy_username/proxy_password); "" for none at
 * all. Without it libcurl's rules apply: https_proxy or HTTPS_PROXY (for
 * https), http_proxy (for http; lower case only), then all_proxy or
 * ALL_PROXY, from the environment. `no_proxy`, else no_proxy, else
 * NO_PROXY names the hosts reached directly. The proxy serves HSS, IAM and
 * STS; the metadata service and pod identity are always reached directly.
 *
 * Clear text: a proxy reads an http:// request in full (HSS's registry
 * password, IAM's and STS's signatures, security tokens and id tokens). So
 * an http:// HSS, IAM or STS endpoint that would go through a proxy is
 * refused (HSS_E_INVALID_ARGUMENT, the message naming it, nothing sent)
 * unless allow_cleartext_proxy is set: the HSS endpoints by hss_client_new
 * (whose route is then held: an http:// endpoint found direct is sent with
 * no proxy at all, whatever the environment says later), IAM and STS
 * before each of their requests. To decide about an http://
 * request exactly as libcurl does, libhss reads only this part of no_proxy
 * (https requests follow all of libcurl's syntax): the whole list exactly
 * "*" (every host); entries separated by commas, blanks around them
 * ignored (a list with a blank inside an entry is not read at all); a host
 * name or domain with an optional leading dot ("example.com" or
 * ".example.com": that name and every name under it, in any case); an IPv4
 * address in dotted decimal, optionally /1 to /32 (that address or
 * network, for a host written the same way). Other entries ("*" among
 * others, brackets, ports, a trailing dot, IPv6 addresses) exempt nothing,
 * and only "*" exempts an IPv6 host or one written as a number such as
 * 127.1: such a request counts as proxied, and the message names the
 * entries libhss did not read. An http:// request libhss finds exempt is
 * sent directly, whatever libcurl would make of the list.
 *
 * Trust: `ca_file`, else SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL's
 * own tools read them, else the system store.
 *
 * hss_client_new itself never touches the network: the credential chain
 * and project discovery run on first use, or in hss_client_resolve.
 *
 * Retries: every request libhss sends is a read without side effects (the
 * HSS GET, IAM's project lookup, the metadata, STS and pod identity calls),
 * so a failed attempt is tried again, up to max_attempts in all, when the
 * transport broke (name resolution, connect, reset, an attempt's timeout)
 * or the answer was 429, 500, 502, 503 or 504 (the gateway's throttling
 * APIG.0308 and backend errors APIGW.0202/0203 among them); never after
 * another 4xx. (A metadata service that was never reached is not retried
 * after a failed connect: off the cloud the chain moves on at once.)
 * Between attempts libhss waits a random time in
 * [0, min(retry_cap_ms, retry_base_ms * 2^n)] ("full jitter"), or what a
 * Retry-After header asks (seconds or an HTTP date) up to retry_cap_ms.
 * Each client has a retry budget (a token bucket, as in the AWS SDKs'
 * standard mode: a retry costs 5 tokens, one after a timeout 10, a
 * success refunds 1, 500 at most), so an outage does not multiply the
 * load: with the budget spent, failures are reported at once.
 * timeout_ms is the deadline of the whole call: fetching or renewing
 * credentials, IAM project discovery, every attempt and every wait, of HSS
 * and of those identity services alike. An attempt gets what is left (a
 * service's own, shorter timeouts still apply), and a retry that cannot
 * start before the deadline is not made; a call returns within timeout_ms
 * plus at most 100 ms (on a machine that is not overloaded), with
 * HSS_E_TIMEOUT when the deadline itself ended it. Renewing keys that are
 * still valid gets half of what is left, so that a slow credential service
 * delays the call (which then uses the current keys) instead of failing it.
 * hss_client_resolve has the same deadline. hss_error_attempts says how many
 * attempts were made.
 *
 * Clock skew: when the gateway refuses a signature as expired (APIGW.0303,
 * the local clock more than 15 minutes off), libhss reads the answer's Date
 * header and, if it is within 24 hours of the local clock, keeps the
 * difference on the client, signs again with the corrected time and retries
 * at once (not counted against max_attempts or the budget). Later calls
 * sign with the corrected time for 15 minutes (less if the local clock is
 * stepped meanwhile); the next refusal then measures again. A Date more
 * than 24 hours away is not applied: the call fails with the gateway's
 * APIGW.0303 and a message naming the skew ("its clock is 2 d 0 h ahead of
 * ours"): a day covers a clock set to local time instead of UTC in any time
 * zone; a machine days off needs its clock fixed.
 */
typedef struct hss_client_options {
    unsigned int version;          /* HSS_CLIENT_OPTIONS_VERSION */
    const char *region;            /* e.g. "cn-north-4" */
    const char *endpoint;          /* overrides region (see above) */
    const char *project_id;        /* letters, digits, '-', '_'; NULL:
                                      the credential source's, else IAM */
    const char *ak;                /* access key id */
    const char *sk;                /* secret access key (secret) */
    const char *security_token;    /* with temporary AK/SK (secret) */
    const char *auth_token;        /* IAM token instead of AK/SK (secret) */
    long connect_timeout_ms;       /* 0: default 10000; 0..3600000 */
    long timeout_ms;               /* whole call; 0: default 30000; 0..3600000 */
    const char *ca_file;           /* PEM CA bundle: a regular file of at
                                      most 4 MiB with at least one
                                      certificate, read once at creation
                                      (a FIFO or device is refused, never
                                      waited on); only its CAs are trusted.
                                      NULL: SSL_CERT_FILE/SSL_CERT_DIR, else
                                      the system store */
    const char *user_agent_suffix; /* appended to "libhss/<version>" */
    /* Version 2 */
    const char *iam_endpoint;      /* IAM for project-id discovery */
    const char *proxy;             /* "scheme://host[:port]"; "": no proxy */
    const char *proxy_username;    /* for the proxy */
    const char *proxy_password;    /* for the proxy (secret) */
    const char *no_proxy;          /* hosts reached directly: "*", or
                                      "a.com,.b.com,10.0.0.0/8" (see
                                      "Clear text" above) */
    int allow_cleartext_proxy;     /* nonzero: let an http:// HSS, IAM or
                                      STS endpoint go through a proxy
                                      (its secrets in clear) */
    hss_trace_fn trace;            /* diagnostics (see hss_trace_fn) */
    void *trace_user;              /* passed to `trace` as is */
    int trace_level;               /* the most detailed level `trace`
                                      receives; 0: HSS_TRACE_INFO */
    int max_attempts;              /* per call, first try included; 0: 3;
                                      1: no retries; at most 10 */
    long retry_base_ms;            /* backoff base; 0: 200; 1..60000 */
    long retry_cap_ms;             /* longest wait; 0: 20000; >= base,
                                      at most 600000 */
    int signing_algorithm;         /* hss_signing_algorithm; 0: the
                                      default, SDK-HMAC-SHA256 */
    const char *derived_key_service; /* V11-HMAC-SHA256 only: the service
                                      in the derived key's scope; NULL:
                                      "hss" */
    /* Version 3 */
    int dry_run;                   /* nonzero: calls validate, resolve
                                      credentials and the project id (which
                                      may ask IAM or a credential service),
                                      build and sign the request, and
                                      return HSS_E_DRY_RUN without sending
                                      it to HSS */
    /* Version 4 */
    int completions;               /* hss_completions: where the callbacks
                                      of calls that do not block run; 0:
                                      HSS_COMPLETIONS_LIBRARY_THREAD */
} hss_client_options;

#define HSS_CLIENT_OPTIONS_INIT \
    { HSS_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, \
      NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, 0, 0, 0, 0, NULL, 0, 0 }

/* Set every field of `options` for `version` to its default (NULL or 0)
 * and options->version to `version` (pass HSS_CLIENT_OPTIONS_VERSION).
 * Only the fields that `version` has are written.
 * Returns: HSS_OK; HSS_E_INVALID_ARGUMENT for a NULL options, version 0 or
 * a version newer than the library (nothing is written then). */
HSS_API hss_status hss_client_options_init(hss_client_options *options, unsigned int version);

/* Create a client from explicit options. `options` must not be NULL.
 * Validates every option (nothing is sent) and returns the client in *out.
 * Returns: HSS_OK; HSS_E_INVALID_ARGUMENT for a NULL or invalid argument or
 * option (the message names it); HSS_E_OUT_OF_MEMORY; HSS_E_INTERNAL when
 * libcurl or OpenSSL cannot be initialised. */
HSS_API hss_status hss_client_new(const hss_client_options *options,
                                  hss_client **out, hss_error **err);

/* Create a client from the environment, then apply `overrides` (may be
 * NULL): every non-NULL / non-zero field of `overrides` wins. Location
 * (region, endpoint) and credentials (ak, sk, auth_token) each replace the
 * environment's as a group: overriding only `region` ignores
 * HUAWEICLOUD_SDK_ENDPOINT, overriding `auth_token` ignores the
 * environment's AK/SK (and security token). Overriding only
 * `security_token` keeps the environment's AK/SK: it belongs to them.
 * Variables read here (their source is "environment"):
 *   HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK            (else CLOUD_SDK_AK, CLOUD_SDK_SK)
 *   HUAWEICLOUD_SDK_SECURITY_TOKEN
 *   HUAWEICLOUD_SDK_PROJECT_ID
 *   HUAWEICLOUD_SDK_REGION       (libhss's own; the official SDKs take the
 *                                 region in code)
 *   HUAWEICLOUD_SDK_ENDPOINT     (libhss's own; overrides the region)
 *   HUAWEICLOUD_SDK_AUTH_TOKEN   (libhss's own; an IAM token, used only
 *                                 when no AK/SK is set)
 * With no credentials from these or `overrides`, the default chain of
 * hss_client_options applies (it reads the other variables listed there),
 * as do the endpoint, project-id and proxy rules; nothing is sent before the
 * first call or hss_client_resolve.
 * Not thread-safe against concurrent setenv(), like getenv() itself.
 * Returns: as hss_client_new. */
HSS_API hss_status hss_client_new_from_env(const hss_client_options *overrides,
                                           hss_client **out, hss_error **err);

/* Free the client, close its connections and wipe its secrets. NULL is a
 * no-op. Calls that do not block still in flight are cancelled first: each
 * completes with HSS_E_CANCELLED, its callback run before this returns (on
 * the library thread, or for HSS_COMPLETIONS_DISPATCH on this thread, with
 * every other completion still pending). A call started on the client
 * while it runs (from one of those callbacks) is refused: its _start
 * function, or a blocking call given a cancel switch, returns
 * HSS_E_CANCELLED. The trace function is not called after it returns.
 * Called from a callback on the library thread, it returns at once, and
 * all of that happens right after the callback returns. A client that
 * never started a call on libhss's engine (no _start call, no blocking
 * call with a cancel switch) is freed without waiting for that thread.
 * Returns: nothing. */
HSS_API void hss_client_free(hss_client *client);

/* Change the most detailed level the client's trace function receives
 * (hss_trace_level; 0: HSS_TRACE_INFO), for the calls that start
 * afterwards: for a program whose logging is configured after the client
 * is made. Thread-safe.
 * Returns: HSS_OK; HSS_E_INVALID_ARGUMENT for a NULL client or a level
 * outside 0-3. */
HSS_API hss_status hss_client_set_trace_level(hss_client *client, int level);

/* Run the credential chain and project-id discovery now instead of on the
 * first call, so that a misconfiguration shows at start-up. Calls made
 * later reuse what it found. Idempotent; thread-safe.
 * Returns: HSS_OK; HSS_E_CREDENTIALS (see the status); HSS_E_NETWORK,
 * HSS_E_TLS, HSS_E_TIMEOUT, HSS_E_HTTP_CLIENT, HSS_E_HTTP_SERVER,
 * HSS_E_BAD_RESPONSE for a failed IAM call (the message says so);
 * HSS_E_INVALID_ARGUMENT for a NULL client or a malformed IAM endpoint
 * (HUAWEICLOUD_SDK_IAM_ENDPOINT, the profile's iam_endpoint) when the
 * project id must be looked up. */
HSS_API hss_status hss_client_resolve(hss_client *client, hss_error **err);

/* What a client uses, for diagnostics (the command's --show-config). */
typedef enum hss_setting {
    HSS_SETTING_REGION = 0,       /* the region id, "" when none */
    HSS_SETTING_ENDPOINT = 1,     /* the HSS endpoint in use */
    HSS_SETTING_PROJECT_ID = 2,   /* "" until known (hss_client_resolve) */
    HSS_SETTING_IAM_ENDPOINT = 3, /* where the project id is looked up */
    HSS_SETTING_CREDENTIALS = 4   /* the AK masked to its first and last 4
                                     characters ("ABCD...WXYZ"); "" with
                                     an auth token or before resolution */
} hss_setting;

/* The value of a setting. Never a secret. When hss_client_resolve (or the
 * first call) failed, what it found before the step that failed is still
 * shown: the credentials and the IAM endpoint when IAM's project lookup
 * failed.
 * Returns: a string owned by the client, valid until hss_client_free; ""
 * for a NULL client, an unknown setting or a value not known yet. */
HSS_API const char *hss_client_setting(hss_client *client, hss_setting setting);
/* Where the value came from: "options", "environment", "profile",
 * "regions-file", "built-in", "endpoint" (a region read from the endpoint's
 * host name), "iam" (a discovered project id), "metadata", "pod-identity",
 * "oidc", "default".
 * Returns: a string owned by the client, valid until hss_client_free; ""
 * when the value is not known (yet). */
HSS_API const char *hss_client_setting_source(hss_client *client, hss_setting setting);

/* ---------------------------------------------------------------------- */
/* Cancel                                                                  */
/* ---------------------------------------------------------------------- */

/* A cancel switch: any thread may trigger it, once for good, and any
 * number of calls may hold it (a request's `cancel`, or
 * hss_client_resolve_start's). A call holding a triggered switch completes
 * promptly with HSS_E_CANCELLED: at once when it was triggered before the
 * call started (nothing is sent), else by stopping what it was doing (a
 * transfer under way is stopped and its connection closed, not reused; a
 * wait between attempts ends). Nothing of the call is left behind: its
 * copies of the request (the password) are wiped. A call already completed
 * is not affected. A blocking call (hss_image_upload_command_get) holding a
 * switch can so be cancelled from another thread. */
typedef struct hss_cancel hss_cancel;

/* A new switch, not triggered, in *out.
 * Returns: HSS_OK; HSS_E_INVALID_ARGUMENT for a NULL out;
 * HSS_E_OUT_OF_MEMORY. */
HSS_API hss_status hss_cancel_new(hss_cancel **out);
/* Trigger the switch. Idempotent; thread-safe; never blocks (the calls
 * holding it complete on their own threads). NULL is a no-op.
 * Returns: nothing. */
HSS_API void hss_cancel_trigger(hss_cancel *cancel);
/* Free the switch. Calls still holding it keep it until they complete, so
 * it may be freed at any time after the last hss_cancel_trigger the caller
 * makes. NULL is a no-op. Returns: nothing. */
HSS_API void hss_cancel_free(hss_cancel *cancel);

/* ---------------------------------------------------------------------- */
/* ShowImageUploadCommand                                                  */
/* ---------------------------------------------------------------------- */

#define HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION 2

/* Inputs of ShowImageUploadCommand. Limits (Unicode characters):
 * registry_addr 1-256 ("host" or "host:port"), namespace_name, username,
 * password 1-128, enterprise_project_id 1-256 or NULL. No control
 * characters (U+0000-U+001F, U+007F); valid UTF-8. registry_addr's host is
 * dot-separated labels of letters (any script), digits, '-' and '_' (so
 * also an IPv4 address), or an IPv6 address in brackets; its port 1-65535;
 * no scheme, path, query, user name or whitespace: the message names the
 * rule broken ("registry_addr must be host or host:port: no scheme (such as
 * https://)"), never the value. Beyond these rules the values are sent as
 * given. */
typedef struct hss_image_upload_command_request {
    unsigned int version;              /* HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION */
    const char *registry_addr;
    const char *namespace_name;        /* the registry project ("namespace") */
    const char *username;
    const char *password;              /* secret */
    const char *enterprise_project_id; /* optional, e.g. "all_granted_eps" */
    /* Version 2 */
    hss_cancel *cancel;                /* NULL: not cancellable */
} hss_image_upload_command_request;

#define HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT \
    { HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION, NULL, NULL, NULL, NULL, NULL, NULL }

/* As hss_client_options_init, for a request (pass
 * HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION).
 * Returns: HSS_OK; HSS_E_INVALID_ARGUMENT for a NULL request, version 0 or
 * a version newer than the library. */
HSS_API hss_status hss_image_upload_command_request_init(hss_image_upload_command_request *request,
                                                         unsigned int version);

/* The answer. It may embed the registry password: treat it as a secret.
 * hss_image_upload_command_free wipes it. The strings are the service's
 * text as is (valid UTF-8, no NUL): they may contain newlines or other
 * control characters, so escape them before showing them on a terminal. */
typedef struct hss_image_upload_command hss_image_upload_command;

/* GET /v5/{project_id}/image/registries/image-upload-command.
 * Validates `request` before any traffic; on success *out receives the
 * result. Thread-safe on a shared client (see the top of this file). With
 * a request->cancel, the call runs on libhss's engine thread (as
 * hss_image_upload_command_start) while this thread waits, so that another
 * thread can cancel it; it must not then be made from a callback on the
 * library thread (HSS_E_INVALID_ARGUMENT).
 * Returns: HSS_OK; HSS_E_INVALID_ARGUMENT (a NULL or invalid argument,
 * nothing sent); HSS_E_NETWORK, HSS_E_TLS, HSS_E_TIMEOUT (no usable
 * answer); HSS_E_HTTP_CLIENT or HSS_E_HTTP_SERVER (the service answered
 * 4xx or 5xx: see the error object); HSS_E_BAD_RESPONSE (an answer libhss
 * cannot use); HSS_E_CREDENTIALS (no credentials or project id: see the
 * status; on the first call, or when temporary credentials are renewed);
 * HSS_E_DRY_RUN (a dry-run client: signed, not sent); HSS_E_CANCELLED (its
 * request->cancel was triggered); HSS_E_OUT_OF_MEMORY; HSS_E_INTERNAL. */
HSS_API hss_status hss_image_upload_command_get(hss_client *client,
                                                const hss_image_upload_command_request *request,
                                                hss_image_upload_command **out,
                                                hss_error **err);

/* The command that loads the scanner images and pushes them (may contain
 * the password).
 * Returns: a string owned by result; never NULL ("" for a NULL result, as
 * with the two accessors below). */
HSS_API const char *hss_image_upload_command_image_command(const hss_image_upload_command *result);
/* Where the image bundle can be downloaded. Returns: as above. */
HSS_API const char *hss_image_upload_command_images_download_url(const hss_image_upload_command *result);
/* The command that pulls the images from SWR. Returns: as above. */
HSS_API const char *hss_image_upload_command_swr_image_pull_command(const hss_image_upload_command *result);
/* Wipe and free the result. NULL is a no-op. Returns: nothing. */
HSS_API void hss_image_upload_command_free(hss_image_upload_command *result);

/* The size of buffer hss_image_upload_command_get_into needs: the three
 * strings come from an answer of at most 256 KiB, so they always fit. */
#define HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE (256 * 1024 + 3)

/* The same call as hss_image_upload_command_get, its three strings written
 * into the caller's `buffer` instead of a result object (one call into the
 * library, for bindings and loops): image_command, images_download_url and
 * swr_image_pull_command one after the other, each NUL-terminated;
 * lengths[0..2] receive their lengths without the NULs. `size` must be at
 * least HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE. The library's own copies are
 * wiped before it returns; the caller wipes `buffer` when done with it
 * (image_command may hold the password). Nothing is written on failure.
 * Returns: as hss_image_upload_command_get; HSS_E_INVALID_ARGUMENT also for
 * a NULL buffer or lengths or a smaller size (nothing sent). */
HSS_API hss_status hss_image_upload_command_get_into(hss_client *client,
                                                     const hss_image_upload_command_request *request,
                                                     char *buffer, size_t size, size_t *lengths,
                                                     hss_error **err);

/* hss_image_upload_command_get_into with the request's strings as
 * arguments, for bindings to which a struct costs more to build than the
 * call itself (Python's ctypes): the same call, rules and outcomes, with
 * no cancel switch. A NULL string is an absent field, as in the request.
 * Returns: as hss_image_upload_command_get_into, never HSS_E_CANCELLED. */
HSS_API hss_status hss_image_upload_command_get_fields(hss_client *client, const char *registry_addr,
                                                       const char *namespace_name, const char *username,
                                                       const char *password, const char *enterprise_project_id,
                                                       char *buffer, size_t size, size_t *lengths,
                                                       hss_error **err);

/* ---------------------------------------------------------------------- */
/* Calls that do not block                                                 */
/* ---------------------------------------------------------------------- */

/* A _start function validates its inputs, copies what it needs (the
 * password into wiped memory: the caller's request and strings may go as
 * soon as it returns) and returns at once. HSS_OK means that its `done`
 * callback will run exactly once, with the call's outcome; any other
 * status means that it will not (bad input is refused there, before any
 * traffic). The call behaves as its blocking form: the same validation,
 * whole-call deadline (timeout_ms), retries with backoff and Retry-After,
 * clock-skew correction, credential renewal, endpoint failover, redaction
 * and trace lines; HSS_E_CANCELLED when its cancel switch is triggered.
 *
 * Threads: libhss runs at most two threads of its own per process, both
 * started by the first call that does not block: the engine, which drives
 * every call in flight (libcurl's multi interface; a client reuses its own
 * connections there), and a worker for what cannot be made non-blocking
 * cheaply (the credential chain, renewing credentials, IAM project
 * discovery), run one after the other. Any number of calls may be in
 * flight.
 *
 * Callbacks: with HSS_COMPLETIONS_LIBRARY_THREAD (the default) `done` runs
 * on the engine thread, possibly while the _start function that started
 * the call has not returned yet; with HSS_COMPLETIONS_DISPATCH it runs in
 * hss_client_dispatch, on the thread that calls it. A callback owns
 * `result` and `err` (free them; NULL when absent). It may start new calls,
 * trigger and free cancel switches, use results and errors, and call
 * hss_client_free (see there). On the engine thread it should return
 * quickly (every call in flight waits meanwhile), and must not make a
 * blocking call that holds a cancel switch (refused) or wait for another
 * completion of libhss (that would never come).
 *
 * fork(): the child has none of libhss's threads. Calls the parent had in
 * flight, and completions it had not dispatched, are not continued in the
 * child: their callbacks never run there, and hss_client_free in the child
 * does not wait for them. The child's clients work for new calls (a new
 * engine starts on the first; a dispatch client has a new descriptor:
 * call hss_client_completion_fd again; its copy of the parent's is left
 * open, as connections are, since the child may have reused its number),
 * and a thread of the parent's that was inside the trace function at the
 * fork does not hold the child's hss_client_free, provided the fork did
 * not catch libhss's threads inside libcurl or OpenSSL: POSIX lets a
 * multithreaded process's child call only async-signal-safe functions,
 * and libhss's threads are idle only while they wait (for an answer, a
 * timer or work).
 * A child that calls exec is always safe. */

/* Receives the outcome of hss_image_upload_command_start: HSS_OK with the
 * result (err NULL), or the status with its error object (result NULL), as
 * hss_image_upload_command_get returns them. `user` is the start's. */
typedef void (*hss_image_upload_command_done_fn)(hss_status status, hss_image_upload_command *result,
                                                 hss_error *err, void *user);

/* Start hss_image_upload_command_get's call without waiting for it (see
 * above): `done` (not NULL) receives its outcome with `user`.
 * Returns: HSS_OK (done will run once); HSS_E_INVALID_ARGUMENT for a NULL
 * client, request or done, or an invalid request (the message names the
 * field; nothing sent); HSS_E_OUT_OF_MEMORY; HSS_E_INTERNAL when libhss's
 * threads cannot be started; HSS_E_CANCELLED when the client is being
 * freed (a callback hss_client_free runs). On failure *err receives the
 * error and done never runs. */
HSS_API hss_status hss_image_upload_command_start(hss_client *client,
                                                  const hss_image_upload_command_request *request,
                                                  hss_image_upload_command_done_fn done, void *user,
                                                  hss_error **err);

/* Receives the outcome of hss_client_resolve_start: HSS_OK (err NULL), or
 * the status and its error object, as hss_client_resolve returns them. */
typedef void (*hss_resolve_done_fn)(hss_status status, hss_error *err, void *user);

/* hss_client_resolve without waiting for it: the credential chain and
 * project discovery run on libhss's worker thread; `done` (not NULL)
 * receives the outcome with `user`. `cancel` may be NULL. Cancelling ends
 * the call at once; a resolution already under way goes on, and the client
 * keeps what it finds for later calls.
 * Returns: HSS_OK (done will run once); HSS_E_INVALID_ARGUMENT for a NULL
 * client or done; HSS_E_OUT_OF_MEMORY; HSS_E_INTERNAL when libhss's threads
 * cannot be started; HSS_E_CANCELLED when the client is being freed. On
 * failure *err receives the error and done never runs. */
HSS_API hss_status hss_client_resolve_start(hss_client *client, hss_cancel *cancel, hss_resolve_done_fn done,
                                            void *user, hss_error **err);

/* For a client made with HSS_COMPLETIONS_DISPATCH: a descriptor (an
 * eventfd) that is readable while completions are waiting for
 * hss_client_dispatch. Poll it for reading (poll, epoll, libuv, asyncio's
 * add_reader); never read or write it yourself. It belongs to the client:
 * hss_client_free closes it (remove it from your poll set first).
 * Returns: the descriptor, the same one each time (but in the child of a
 * fork(): see above); -1 for a NULL client or one not in dispatch mode. */
HSS_API int hss_client_completion_fd(hss_client *client);

/* Run the callbacks of the calls that have completed, on this thread, in
 * the order they completed: at most `max` of them (0: every one waiting),
 * so that a burst of completions never holds the caller's loop for long;
 * the descriptor stays readable while more wait. Run by one thread at a
 * time per client (the event loop's). A callback may start calls whose
 * completions a later dispatch runs.
 * Returns: how many callbacks ran; 0 for a NULL client or one not in
 * dispatch mode. */
HSS_API unsigned hss_client_dispatch(hss_client *client, unsigned max);

#ifdef __cplusplus
}
#endif

#endif /* HSS_H */
