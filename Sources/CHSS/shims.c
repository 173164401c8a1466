/* The SHA-256 block functions are deprecated in OpenSSL 3.0 in favour of EVP,
 * but remain part of libcrypto.so.3; see chss_sha256 for why we use them. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "CHSS.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>

CURLcode chss_curl_set_long(CURL *curl, CURLoption option, long value)
{
    return curl_easy_setopt(curl, option, value);
}

CURLcode chss_curl_set_ptr(CURL *curl, CURLoption option, const void *value)
{
    return curl_easy_setopt(curl, option, value);
}

CURLcode chss_curl_set_write(CURL *curl, chss_curl_write_fn fn, void *userdata)
{
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fn);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, userdata);
    return rc;
}

CURLcode chss_curl_get_response_code(CURL *curl, long *code)
{
    return curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code);
}

CURLcode chss_curl_get_long(CURL *curl, CURLINFO info, long *value)
{
    return curl_easy_getinfo(curl, info, value);
}

CURLcode chss_curl_set_blob(CURL *curl, CURLoption option, const void *data, size_t length)
{
    struct curl_blob blob = {(void *)data, length, CURL_BLOB_COPY};
    return curl_easy_setopt(curl, option, &blob);
}

/* SSL_CTX_set_keylog_callback lives in libssl, which libcurl loads but
 * libhss does not link (its run-time needs stay libc, libcurl, libcrypto):
 * it is looked up once in the already loaded library. */
typedef void (*keylog_setter_fn)(void *ssl_ctx, void *callback);
static keylog_setter_fn keylog_setter;
static pthread_once_t keylog_once = PTHREAD_ONCE_INIT;

static void find_keylog_setter(void)
{
    void *libssl = dlopen("libssl.so.3", RTLD_LAZY | RTLD_NOLOAD);
    if (libssl != NULL)
        *(void **)&keylog_setter = dlsym(libssl, "SSL_CTX_set_keylog_callback");
}

/* Runs after libcurl has set up the SSL_CTX, keylog callback included. */
static CURLcode clear_keylog(CURL *curl, void *ssl_ctx, void *userdata)
{
    (void)curl;
    (void)userdata;
    if (keylog_setter != NULL)
        keylog_setter(ssl_ctx, NULL);
    return CURLE_OK;
}

CURLcode chss_curl_ignore_keylog(CURL *curl)
{
    pthread_once(&keylog_once, find_keylog_setter);
    return curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, clear_keylog);
}

int chss_open_nonblocking(const char *path)
{
    return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

int chss_errno(void)
{
    return errno;
}

int chss_pem_certificate_count(const void *data, size_t length)
{
    int count = 0;
    BIO *bio = BIO_new_mem_buf(data, (int)length);
    STACK_OF(X509_INFO) *infos = bio != NULL ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
    for (int i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++)
        if (sk_X509_INFO_value(infos, i)->x509 != NULL)
            count++;
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    BIO_free(bio);
    ERR_clear_error();
    return count;
}

/* SHA-256 and HMAC-SHA256 on OpenSSL's SHA-256 block functions, with every
 * state on the stack or in a prepared key: OpenSSL 3.0's EVP layer
 * allocates on every digest and every HMAC context copy, which cost more
 * than the hashing itself for our ~600-byte canonical requests. */
int chss_sha256(const void *data, size_t length, unsigned char out[32])
{
    SHA256_CTX ctx;
    int ok = SHA256_Init(&ctx) && SHA256_Update(&ctx, data ? data : "", length) && SHA256_Final(out, &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    return ok;
}

/* HMAC (RFC 2104) with the SK's inner and outer states hashed once: each
 * message then starts from a copy of them, as OpenSSL's own HMAC does. */
struct chss_hmac_key {
    SHA256_CTX inner; /* after H(K xor ipad) */
    SHA256_CTX outer; /* after H(K xor opad) */
};

chss_hmac_key *chss_hmac_sha256_new(const void *key, size_t key_length)
{
    unsigned char block[SHA256_CBLOCK] = {0}, pad[SHA256_CBLOCK];
    chss_hmac_key *prepared = calloc(1, sizeof *prepared);
    int ok = prepared != NULL;

    if (ok && key_length > SHA256_CBLOCK)
        ok = chss_sha256(key, key_length, block);
    else if (ok && key_length > 0)
        memcpy(block, key, key_length);
    for (size_t i = 0; ok && i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x36;
    ok = ok && SHA256_Init(&prepared->inner) && SHA256_Update(&prepared->inner, pad, sizeof pad);
    for (size_t i = 0; ok && i < sizeof pad; i++)
        pad[i] = block[i] ^ 0x5c;
    ok = ok && SHA256_Init(&prepared->outer) && SHA256_Update(&prepared->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok) {
        chss_hmac_sha256_free(prepared);
        return NULL;
    }
    return prepared;
}

int chss_hmac_sha256(const chss_hmac_key *key, const void *data, size_t length, unsigned char out[32])
{
    unsigned char inner_digest[32];
    SHA256_CTX ctx = key->inner;
    int ok = SHA256_Update(&ctx, data ? data : "", length) && SHA256_Final(inner_digest, &ctx);
    ctx = key->outer;
    ok = ok && SHA256_Update(&ctx, inner_digest, sizeof inner_digest) && SHA256_Final(out, &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    OPENSSL_cleanse(inner_digest, sizeof inner_digest);
    return ok;
}

void chss_hmac_sha256_free(chss_hmac_key *key)
{
    if (key == NULL)
        return;
    OPENSSL_cleanse(key, sizeof *key);
    free(key);
}

static struct {
    int (*parser_initialize)(yaml_parser_t *);
    void (*set_input_string)(yaml_parser_t *, const unsigned char *, size_t);
    int (*parse)(yaml_parser_t *, yaml_event_t *);
    void (*event_delete)(yaml_event_t *);
    void (*parser_delete)(yaml_parser_t *);
} yaml;
static pthread_once_t yaml_once = PTHREAD_ONCE_INIT;

static void load_yaml(void)
{
    /* RTLD_LOCAL: its symbols stay out of the process's global scope. */
    void *library = dlopen("libyaml-0.so.2", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL)
        return;
    *(void **)&yaml.parser_initialize = dlsym(library, "yaml_parser_initialize");
    *(void **)&yaml.set_input_string = dlsym(library, "yaml_parser_set_input_string");
    *(void **)&yaml.event_delete = dlsym(library, "yaml_event_delete");
    *(void **)&yaml.parser_delete = dlsym(library, "yaml_parser_delete");
    *(void **)&yaml.parse = dlsym(library, "yaml_parser_parse");
    if (yaml.parser_initialize == NULL || yaml.set_input_string == NULL || yaml.event_delete == NULL ||
        yaml.parser_delete == NULL)
        yaml.parse = NULL; /* all or nothing: chss_yaml_load checks parse */
}

int chss_yaml_load(void)
{
    pthread_once(&yaml_once, load_yaml);
    return yaml.parse != NULL;
}

int chss_yaml_parser_initialize(yaml_parser_t *parser)
{
    return yaml.parser_initialize(parser);
}

void chss_yaml_parser_set_input_string(yaml_parser_t *parser, const unsigned char *input, size_t size)
{
    yaml.set_input_string(parser, input, size);
}

int chss_yaml_parser_parse(yaml_parser_t *parser, yaml_event_t *event)
{
    return yaml.parse(parser, event);
}

void chss_yaml_event_delete(yaml_event_t *event)
{
    yaml.event_delete(event);
}

void chss_yaml_parser_delete(yaml_parser_t *parser)
{
    yaml.parser_delete(parser);
}
