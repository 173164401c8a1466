/*
 * The signing floor: the cryptographic work of one SDK-HMAC-SHA256
 * signature done directly with OpenSSL over precomputed strings — SHA-256
 * of the canonical request (the very string libhss builds for this API,
 * built once here), hex, the string to sign, HMAC-SHA256 with the SK, hex.
 * No canonicalisation, no allocation.
 *
 *   sign_floor N            one-shot SHA256() + HMAC(EVP_sha256(), ...): the
 *                           OpenSSL calls libhss makes; prints
 *                           "signatures=N seconds=S"
 *   sign_floor N prepared   a lower bound: SHA-256 and HMAC fetched once, the
 *                           HMAC context keyed once and re-initialised per
 *                           signature (EVP_MAC_init with a NULL key reuses the
 *                           key's precomputed pads)
 *   sign_floor check        prints the Authorization value (date 20240101T000000Z)
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_common.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define HOST "hss.cn-north-4.myhuaweicloud.com"
#define DATE "20240101T000000Z"
#define SIGNED_HEADERS "content-type;host;user-agent;x-project-id;x-sdk-date"

static const char canonical[] = "GET\n" BENCH_PATH "/\n" BENCH_QUERY "\n"
                                "content-type:application/json\n"
                                "host:" HOST "\n"
                                "user-agent:libhss/1.2.0\n"
                                "x-project-id:" BENCH_PROJECT_ID "\n"
                                "x-sdk-date:" DATE "\n"
                                "\n" SIGNED_HEADERS "\n"
                                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static const char prefix[] = "SDK-HMAC-SHA256\n" DATE "\n";

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
}

/* Writes the 64 hex digits of the signature into sig. */
static void sign(char *sig)
{
    static char to_sign[sizeof prefix - 1 + 64];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    memcpy(to_sign, prefix, sizeof prefix - 1);
    SHA256((const unsigned char *)canonical, sizeof canonical - 1, digest);
    hex(digest, 32, to_sign + sizeof prefix - 1);
    HMAC(EVP_sha256(), BENCH_SK, (int)strlen(BENCH_SK), (const unsigned char *)to_sign, sizeof to_sign, digest, &len);
    hex(digest, len, sig);
}

static EVP_MD *sha256;
static EVP_MD_CTX *md_ctx;
static EVP_MAC_CTX *mac_ctx;

static void prepare(void)
{
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_ctx = EVP_MD_CTX_new();
    mac_ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    if (sha256 == NULL || md_ctx == NULL || mac_ctx == NULL ||
        !EVP_MAC_init(mac_ctx, (const unsigned char *)BENCH_SK, strlen(BENCH_SK), params)) {
        fprintf(stderr, "sign_floor: OpenSSL setup failed\n");
        exit(1);
    }
}

/* The same signature with the prepared objects. */
static void sign_prepared(char *sig)
{
    static char to_sign[sizeof prefix - 1 + 64];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    size_t mac_len = 0;
    memcpy(to_sign, prefix, sizeof prefix - 1);
    EVP_DigestInit_ex2(md_ctx, sha256, NULL);
    EVP_DigestUpdate(md_ctx, canonical, sizeof canonical - 1);
    EVP_DigestFinal_ex(md_ctx, digest, &len);
    hex(digest, len, to_sign + sizeof prefix - 1);
    EVP_MAC_init(mac_ctx, NULL, 0, NULL);
    EVP_MAC_update(mac_ctx, (const unsigned char *)to_sign, sizeof to_sign);
    EVP_MAC_final(mac_ctx, digest, &mac_len, sizeof digest);
    hex(digest, mac_len, sig);
}

int main(int argc, char **argv)
{
    const char *usage = "usage: sign_floor N [prepared] | check";
    char sig[65] = {0};
    if (argc == 2 && strcmp(argv[1], "check") == 0) {
        char prepared_sig[65] = {0};
        prepare();
        sign(sig);
        sign_prepared(prepared_sig);
        if (strcmp(sig, prepared_sig) != 0) {
            fprintf(stderr, "sign_floor: the two variants disagree\n");
            return 1;
        }
        printf("SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%s\n", BENCH_AK, SIGNED_HEADERS, sig);
        return 0;
    }
    if ((argc != 2 && argc != 3) || (argc == 3 && strcmp(argv[2], "prepared") != 0)) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    long n = bench_count(argv[1], usage);
    void (*fn)(char *) = sign;
    if (argc == 3) {
        prepare();
        fn = sign_prepared;
    }
    unsigned sink = 0;
    for (long i = 0; i < n / 10; i++) {
        fn(sig);
        sink += (unsigned char)sig[0];
    }
    double start = bench_now();
    for (long i = 0; i < n; i++) {
        fn(sig);
        sink += (unsigned char)sig[0];
    }
    double seconds = bench_now() - start;
    printf("signatures=%ld seconds=%.6f sink=%u\n", n, seconds, sink);
    return 0;
}
