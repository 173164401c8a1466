/* The SHA-256 block functions are deprecated in OpenSSL 3.0 in favour of EVP,
 * but remain part of libcrypto.so.3; see chss_sha256 for why we use them. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "CCryptoShims.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

/* SHA-256 and HMAC-SHA256 on OpenSSL's SHA-256 block functions, with every
 * state on the stack or in a prepared key: OpenSSL 3.0's EVP layer
 * allocates on every digest and every HMAC context copy, which cost more
 * than the hashing itself for our ~600-byte canonical requests. */
int chss_sha256(const void *data, size_t length, unsigned char out[32])
{
    SHA256_CTX ctx;
    int ok = SHA256_Init(&ctx) && SHA256_Update(&ctx, data ? data : "", length) && SHA256_Final(out, &ctx);
    explicit_bzero(&ctx, sizeof ctx);
    return ok;
}

struct chss_sha256_prefix {
    SHA256_CTX state; /* after the prefix */
};

chss_sha256_prefix *chss_sha256_prefix_new(const void *prefix, size_t length)
{
    chss_sha256_prefix *p = calloc(1, sizeof *p);
    if (p != NULL && !(SHA256_Init(&p->state) && SHA256_Update(&p->state, prefix ? prefix : "", length))) {
        free(p);
        return NULL;
    }
    return p;
}

int chss_sha256_from(const chss_sha256_prefix *prefix, const void *data, size_t length, unsigned char out[32])
{
    SHA256_CTX ctx = prefix->state;
    int ok = SHA256_Update(&ctx, data ? data : "", length) && SHA256_Final(out, &ctx);
    explicit_bzero(&ctx, sizeof ctx);
    return ok;
}

void chss_sha256_prefix_free(chss_sha256_prefix *prefix)
{
    free(prefix);
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
    explicit_bzero(block, sizeof block);
    explicit_bzero(pad, sizeof pad);
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
    explicit_bzero(&ctx, sizeof ctx);
    explicit_bzero(inner_digest, sizeof inner_digest);
    return ok;
}

void chss_hmac_sha256_free(chss_hmac_key *key)
{
    if (key == NULL)
        return;
    explicit_bzero(key, sizeof *key);
    free(key);
}

/* SM3 is fetched once per process; EVP_Digest with a fetched digest does no
 * further lookup. */
static EVP_MD *sm3_md;
static pthread_once_t sm3_once = PTHREAD_ONCE_INIT;

static void fetch_sm3(void)
{
    sm3_md = EVP_MD_fetch(NULL, "SM3", NULL);
}

int chss_sm3(const void *data, size_t length, unsigned char out[32])
{
    pthread_once(&sm3_once, fetch_sm3);
    return sm3_md != NULL && EVP_Digest(data ? data : "", length, out, NULL, sm3_md, NULL);
}

struct chss_hmac_sm3_key {
    EVP_MAC_CTX *keyed; /* HMAC-SM3 after EVP_MAC_init with the key */
};

chss_hmac_sm3_key *chss_hmac_sm3_new(const void *key, size_t key_length)
{
    chss_hmac_sm3_key *prepared = calloc(1, sizeof *prepared);
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SM3", 0),
                           OSSL_PARAM_construct_end()};
    int ok = prepared != NULL && hmac != NULL && (prepared->keyed = EVP_MAC_CTX_new(hmac)) != NULL &&
             EVP_MAC_init(prepared->keyed, key ? key : (const void *)"", key_length, params);
    EVP_MAC_free(hmac);
    ERR_clear_error();
    if (!ok) {
        chss_hmac_sm3_free(prepared);
        return NULL;
    }
    return prepared;
}

int chss_hmac_sm3(const chss_hmac_sm3_key *key, const void *data, size_t length, unsigned char out[32])
{
    size_t written = 0;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(key->keyed);
    int ok = ctx != NULL && EVP_MAC_update(ctx, data ? data : "", length) && EVP_MAC_final(ctx, out, &written, 32);
    EVP_MAC_CTX_free(ctx); /* wipes its copy of the key and state */
    return ok && written == 32;
}

void chss_hmac_sm3_free(chss_hmac_sm3_key *key)
{
    if (key == NULL)
        return;
    EVP_MAC_CTX_free(key->keyed);
    free(key);
}

int chss_hkdf_sha256(const void *salt, size_t salt_length, const void *key, size_t key_length, const void *info,
                     size_t info_length, unsigned char out[32])
{
    EVP_KDF *hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = hkdf != NULL ? EVP_KDF_CTX_new(hkdf) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_length),
                           OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_length),
                           OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_length),
                           OSSL_PARAM_construct_end()};
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, 32, params);
    EVP_KDF_CTX_free(ctx); /* wipes the key it copied */
    EVP_KDF_free(hkdf);
    ERR_clear_error();
    return ok;
}

/* GB/T 32918's default distinguishing identifier (ENTL = 0x0080). */
static const char sm2_id[] = "1234567812345678";

struct chss_ec_key {
    int sm2;
    EVP_PKEY *pkey;
    EVP_MD_CTX *signing; /* after EVP_DigestSignInit (and, for SM2, Z_A) */
    unsigned char public_key[65];
};

/* The SDK's private scalar (signers.md 3.3, 3.4): for counter 0..254,
 * c = KBKDF-CTR(HMAC-H, key SK, label ALG, context AK || counter, 256 bits);
 * the first c <= n - 2 gives d = c + 1. The SDK bounds both curves by
 * P-256's n; SM2's order is smaller, and a c between the two (odds 2^-64)
 * gives a d >= n that the SDK's arithmetic uses modulo n: so do we. */
static int derive_scalar(int sm2, const void *ak, size_t ak_length, const void *sk, size_t sk_length,
                         const EC_GROUP *group, BIGNUM *d, BN_CTX *bn)
{
    const char *label = sm2 ? "SDK-SM2-SM3" : "SDK-ECDSA-P256-SHA256";
    EVP_KDF *kbkdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
    EVP_KDF_CTX *ctx = kbkdf != NULL ? EVP_KDF_CTX_new(kbkdf) : NULL;
    EC_GROUP *p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *bound = BN_new();
    unsigned char *context = malloc(ak_length + 1), candidate[32];
    int ok = ctx != NULL && p256 != NULL && bound != NULL && context != NULL &&
             BN_copy(bound, EC_GROUP_get0_order(p256)) && BN_sub_word(bound, 2);
    int found = 0;

    if (ok && ak_length > 0)
        memcpy(context, ak, ak_length);
    for (int counter = 0; ok && !found && counter < 0xff; counter++) {
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, "COUNTER", 0),
                               OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0),
                               OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, sm2 ? "SM3" : "SHA256", 0),
                               OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)sk, sk_length),
                               OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label, strlen(label)),
                               OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, context, ak_length + 1),
                               OSSL_PARAM_construct_end()};
        context[ak_length] = (unsigned char)counter;
        ok = EVP_KDF_derive(ctx, candidate, sizeof candidate, params) &&
             BN_bin2bn(candidate, sizeof candidate, d) != NULL;
        found = ok && BN_cmp(d, bound) <= 0;
    }
    ok = ok && found && BN_add_word(d, 1) && BN_nnmod(d, d, EC_GROUP_get0_order(group), bn) && !BN_is_zero(d);
    explicit_bzero(candidate, sizeof candidate);
    free(context);
    BN_free(bound);
    EC_GROUP_free(p256);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kbkdf);
    return ok;
}

/* SM2's Z_A is computed by OpenSSL the GB/T 32918 way, every coordinate on
 * 32 bytes. The official Python SDK drops leading zero bytes of the public
 * key's x and y (utils.py:332-337), so for about 1 key in 128 (signers.md
 * 3.4: AK "AKEXAMPLE298") its signatures and ours do not verify with each
 * other's Z_A. We follow the standard; the test suite shows both cases. */
chss_ec_key *chss_ec_key_derive(int sm2, const void *access_key, size_t access_key_length, const void *secret_key,
                                size_t secret_key_length)
{
    chss_ec_key *key = calloc(1, sizeof *key);
    EC_GROUP *group = EC_GROUP_new_by_curve_name(sm2 ? NID_sm2 : NID_X9_62_prime256v1);
    EC_POINT *point = group != NULL ? EC_POINT_new(group) : NULL;
    BN_CTX *bn = BN_CTX_secure_new();
    BIGNUM *d = BN_secure_new();
    EVP_PKEY_CTX *from = EVP_PKEY_CTX_new_from_name(NULL, sm2 ? "SM2" : "EC", NULL), *signing = NULL;
    unsigned char private_key[32] = {0};
    int ok = key != NULL && point != NULL && bn != NULL && d != NULL && from != NULL;

    if (ok) {
        key->sm2 = sm2;
        BN_set_flags(d, BN_FLG_CONSTTIME);
    }
    ok = ok && derive_scalar(sm2, access_key, access_key_length, secret_key, secret_key_length, group, d, bn) &&
         EC_POINT_mul(group, point, d, NULL, NULL, bn) &&
         EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, key->public_key, 65, bn) == 65 &&
         BN_bn2nativepad(d, private_key, sizeof private_key) == sizeof private_key;
    if (ok) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, sm2 ? "SM2" : "prime256v1", 0),
            OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, private_key, sizeof private_key),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, key->public_key, 65),
            OSSL_PARAM_construct_end()};
        ok = EVP_PKEY_fromdata_init(from) == 1 && EVP_PKEY_fromdata(from, &key->pkey, EVP_PKEY_KEYPAIR, params) == 1;
    }
    ok = ok && (key->signing = EVP_MD_CTX_new()) != NULL &&
         EVP_DigestSignInit_ex(key->signing, &signing, sm2 ? "SM3" : "SHA256", NULL, NULL, key->pkey, NULL) == 1;
    /* SM2: the identifier, then an empty update that hashes Z_A once. */
    if (ok && sm2)
        ok = EVP_PKEY_CTX_set1_id(signing, sm2_id, strlen(sm2_id)) == 1 && EVP_DigestSignUpdate(key->signing, "", 0);
    explicit_bzero(private_key, sizeof private_key);
    BN_clear_free(d);
    BN_CTX_free(bn);
    EC_POINT_free(point);
    EC_GROUP_free(group);
    EVP_PKEY_CTX_free(from);
    ERR_clear_error();
    if (!ok) {
        chss_ec_key_free(key);
        return NULL;
    }
    return key;
}

int chss_ec_sign(const chss_ec_key *key, const void *data, size_t length, unsigned char signature[72],
                 size_t *signature_length)
{
    size_t written = CHSS_EC_SIGNATURE_MAX;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_MD_CTX_copy_ex(ctx, key->signing);
    if (ok)
        EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE); /* no further copy in EVP_DigestSignFinal */
    ok = ok && EVP_DigestSignUpdate(ctx, data ? data : "", length) && EVP_DigestSignFinal(ctx, signature, &written);
    EVP_MD_CTX_free(ctx);
    *signature_length = ok ? written : 0;
    return ok;
}

void chss_ec_public_key(const chss_ec_key *key, unsigned char out[65])
{
    memcpy(out, key->public_key, 65);
}

void chss_ec_key_free(chss_ec_key *key)
{
    if (key == NULL)
        return;
    EVP_MD_CTX_free(key->signing);
    EVP_PKEY_free(key->pkey); /* OpenSSL wipes the private scalar */
    free(key);
}
