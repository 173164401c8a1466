/* What the Swift side sees of C: the public header (so the exported
 * functions are checked against its types), libcurl, OpenSSL, and typed
 * wrappers for libcurl's variadic calls, which Swift cannot make. */
#ifndef CHSS_H
#define CHSS_H

#include "../../../include/hss.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <yaml.h> /* the types only: libyaml itself is loaded on demand (chss_yaml_load) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

typedef size_t (*chss_curl_write_fn)(char *data, size_t size, size_t nmemb, void *userdata);

CURLcode chss_curl_set_long(CURL *curl, CURLoption option, long value);
CURLcode chss_curl_set_ptr(CURL *curl, CURLoption option, const void *value);
CURLcode chss_curl_set_write(CURL *curl, chss_curl_write_fn fn, void *userdata);
CURLcode chss_curl_get_response_code(CURL *curl, long *code);
CURLcode chss_curl_get_long(CURL *curl, CURLINFO info, long *value);
/* CURLOPT_CAINFO_BLOB with CURL_BLOB_COPY. */
CURLcode chss_curl_set_blob(CURL *curl, CURLoption option, const void *data, size_t length);
/* Makes the handle's TLS connections ignore SSLKEYLOGFILE: libcurl would
 * otherwise write every TLS session key to the file that variable names. */
CURLcode chss_curl_ignore_keylog(CURL *curl);

/* open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY): Swift cannot call
 * the variadic open(). Non-blocking, so a FIFO cannot stall the caller. */
int chss_open_nonblocking(const char *path);
/* errno, which Swift cannot read without the Glibc module (whose static
 * copy would raise the glibc version libhss needs). */
int chss_errno(void);

/* libyaml, for the regions file, is loaded with dlopen the first time one
 * is read, so that libhss.so.1 links only libc, libstdc++, libcurl and
 * libcrypto, and the system's libyaml (with its security updates) is the
 * one used. Returns 1 when libyaml-0.so.2 is there, 0 otherwise; then the
 * chss_yaml_* calls forward to it (and must not be made when it is not). */
int chss_yaml_load(void);
int chss_yaml_parser_initialize(yaml_parser_t *parser);
void chss_yaml_parser_set_input_string(yaml_parser_t *parser, const unsigned char *input, size_t size);
int chss_yaml_parser_parse(yaml_parser_t *parser, yaml_event_t *event);
void chss_yaml_event_delete(yaml_event_t *event);
void chss_yaml_parser_delete(yaml_parser_t *parser);

/* 1 when a PEM text holds an X.509 certificate (the first one is parsed),
 * 0 for none or garbage. */
int chss_pem_has_certificate(const void *data, size_t length);

/* SHA-256 and HMAC-SHA256 without allocation (see shims.c). Return 1 on
 * success. A prepared HMAC key holds SK-derived state and is wiped when
 * freed; chss_hmac_sha256 only reads it, so threads may share one. */
typedef struct chss_hmac_key chss_hmac_key;
int chss_sha256(const void *data, size_t length, unsigned char out[32]);
chss_hmac_key *chss_hmac_sha256_new(const void *key, size_t key_length);
int chss_hmac_sha256(const chss_hmac_key *key, const void *data, size_t length, unsigned char out[32]);
void chss_hmac_sha256_free(chss_hmac_key *key);

/* The other signing algorithms (issue 15), on OpenSSL 3's default provider.
 * Algorithms are fetched when a key is prepared (once per client), never per
 * signature; prepared keys are read-only afterwards, so threads may share
 * one, and everything SK-derived is wiped when freed. Return 1 on success. */
int chss_sm3(const void *data, size_t length, unsigned char out[32]);
/* HMAC-SM3 keyed once; each message is MACed on a copy of the keyed context. */
typedef struct chss_hmac_sm3_key chss_hmac_sm3_key;
chss_hmac_sm3_key *chss_hmac_sm3_new(const void *key, size_t key_length);
int chss_hmac_sm3(const chss_hmac_sm3_key *key, const void *data, size_t length, unsigned char out[32]);
void chss_hmac_sm3_free(chss_hmac_sm3_key *key);
/* RFC 5869 HKDF-SHA256 with L = 32 (V11-HMAC-SHA256's derived key). */
int chss_hkdf_sha256(const void *salt, size_t salt_length, const void *key, size_t key_length, const void *info,
                     size_t info_length, unsigned char out[32]);
/* An EC key pair derived from AK and SK as the official SDK does (SP 800-108
 * KBKDF, counter mode, HMAC-SHA256 for P-256 or HMAC-SM3 for SM2), with a
 * signing context prepared once (for SM2 with Z_A already hashed). */
typedef struct chss_ec_key chss_ec_key;
#define CHSS_EC_SIGNATURE_MAX 72 /* DER SEQUENCE { INTEGER r, INTEGER s } */
chss_ec_key *chss_ec_key_derive(int sm2, const void *access_key, size_t access_key_length, const void *secret_key,
                                size_t secret_key_length);
/* DER signature of SHA-256(data) (P-256) or SM3(Z_A || data) (SM2). */
int chss_ec_sign(const chss_ec_key *key, const void *data, size_t length, unsigned char signature[72],
                 size_t *signature_length);
/* The public key, uncompressed (04 || x || y). */
void chss_ec_public_key(const chss_ec_key *key, unsigned char out[65]);
void chss_ec_key_free(chss_ec_key *key);
/* Verification, for tests: with a derived key; with a PEM public key; and
 * (SM2) over a digest e the caller computed, e.g. with another Z_A. */
int chss_ec_verify(const chss_ec_key *key, const void *data, size_t length, const void *signature,
                   size_t signature_length);
int chss_ec_verify_pem(int sm2, const void *pem, size_t pem_length, const void *data, size_t length,
                       const void *signature, size_t signature_length);
int chss_ec_verify_digest(const chss_ec_key *key, const unsigned char digest[32], const void *signature,
                          size_t signature_length);

#endif
