/* libcrypto (OpenSSL 3) for wiping, hashing and signing: its headers, and
 * shims that prepare keys once and hash without allocating. */
#ifndef CCRYPTOSHIMS_H
#define CCRYPTOSHIMS_H

#include <stddef.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

/* SHA-256 and HMAC-SHA256 without allocation (see crypto.c). Return 1 on
 * success. A prepared HMAC key holds SK-derived state and is wiped when
 * freed; chss_hmac_sha256 only reads it, so threads may share one. */
typedef struct chss_hmac_key chss_hmac_key;
int chss_sha256(const void *data, size_t length, unsigned char out[32]);
chss_hmac_key *chss_hmac_sha256_new(const void *key, size_t key_length);
int chss_hmac_sha256(const chss_hmac_key *key, const void *data, size_t length, unsigned char out[32]);
void chss_hmac_sha256_free(chss_hmac_key *key);

/* SHA-256 after a fixed prefix, hashed once (a canonical request's method
 * and URI): chss_sha256_from finishes a copy of it with `data`, so threads
 * may share one. The prefix is not secret; the copy is wiped. */
typedef struct chss_sha256_prefix chss_sha256_prefix;
chss_sha256_prefix *chss_sha256_prefix_new(const void *prefix, size_t length);
int chss_sha256_from(const chss_sha256_prefix *prefix, const void *data, size_t length, unsigned char out[32]);
void chss_sha256_prefix_free(chss_sha256_prefix *prefix);

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

#endif
