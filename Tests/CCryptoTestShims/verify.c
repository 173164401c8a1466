#include "CCryptoTestShims.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <string.h>

/* GB/T 32918's default distinguishing identifier (ENTL = 0x0080). */
static const char sm2_id[] = "1234567812345678";

static EVP_PKEY *public_key_from_point(int sm2, const unsigned char point[65])
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, sm2 ? "SM2" : "EC", NULL);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)(sm2 ? "SM2" : "prime256v1"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, 65), OSSL_PARAM_construct_end()};
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static int verify_with(EVP_PKEY *pkey, int sm2, const void *data, size_t length, const void *signature,
                       size_t signature_length)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *verifying = NULL;
    int ok = ctx != NULL && pkey != NULL &&
             EVP_DigestVerifyInit_ex(ctx, &verifying, sm2 ? "SM3" : "SHA256", NULL, NULL, pkey, NULL) == 1 &&
             (!sm2 || EVP_PKEY_CTX_set1_id(verifying, sm2_id, strlen(sm2_id)) == 1) &&
             EVP_DigestVerify(ctx, signature, signature_length, data ? data : "", length) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

int chss_test_ec_verify(int sm2, const unsigned char public_key[65], const void *data, size_t length,
                        const void *signature, size_t signature_length)
{
    EVP_PKEY *pkey = public_key_from_point(sm2, public_key);
    int ok = verify_with(pkey, sm2, data, length, signature, signature_length);
    EVP_PKEY_free(pkey);
    return ok;
}

int chss_test_ec_verify_digest(int sm2, const unsigned char public_key[65], const unsigned char digest[32],
                               const void *signature, size_t signature_length)
{
    EVP_PKEY *pkey = public_key_from_point(sm2, public_key);
    EVP_PKEY_CTX *ctx = pkey != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
    int ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_verify(ctx, signature, signature_length, digest, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return ok;
}

int chss_test_ec_verify_pem(int sm2, const void *pem, size_t pem_length, const void *data, size_t length,
                            const void *signature, size_t signature_length)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_length);
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    int ok = pkey != NULL && EVP_PKEY_is_a(pkey, sm2 ? "SM2" : "EC") &&
             verify_with(pkey, sm2, data, length, signature, signature_length);
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    ERR_clear_error();
    return ok;
}
