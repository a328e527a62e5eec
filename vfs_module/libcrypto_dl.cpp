// SPDX-License-Identifier: GPL-3.0-or-later
// libcrypto on demand for the VFS module.
//
// Why: smbd itself does not load OpenSSL's libcrypto (it uses gnutls and Heimdal's hcrypto),
// and smbd forks a process per client that loads the module at its first tree connect. A module
// linked against libcrypto made every one of those processes map and relocate libcrypto's
// 4.7 MB, about 3 ms per SMB session, although only shares with a key_file encrypt anything.
//
// So the module is linked without libcrypto. The encoder's cipher (common/smbta/
// legacy_cipher.cpp, compiled unchanged into the module) calls the OpenSSL functions defined
// below, which forward to the real ones once smbta_libcrypto_load() has dlopen()ed libcrypto;
// the module calls it only when a share configures a key file. The prototypes come from
// OpenSSL's own headers, so a signature that differs is a compile error, and the module's
// symbol test (tests/vfs/module_symbols.sh) fails if the encoder ever needs a function that is
// missing here. These definitions are hidden (the module exports only samba_init_module): they
// never interpose on a libcrypto that something else in smbd may load.
#include "libcrypto_dl.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstdio>

#ifndef SMBTA_LIBCRYPTO_SONAME
#error "SMBTA_LIBCRYPTO_SONAME (the soname of the libcrypto the module was compiled against) is not set"
#endif

// Every libcrypto function the module's copy of the encoder references.
#define SMBTA_LIBCRYPTO_FUNCTIONS(X)                                                               \
	X(EVP_CIPHER_CTX_new)                                                                      \
	X(EVP_CIPHER_CTX_free)                                                                     \
	X(EVP_CIPHER_CTX_set_padding)                                                              \
	X(EVP_EncryptInit_ex)                                                                      \
	X(EVP_EncryptUpdate)                                                                       \
	X(EVP_DecryptInit_ex)                                                                      \
	X(EVP_DecryptUpdate)                                                                       \
	X(EVP_aes_128_ecb)                                                                         \
	X(RAND_bytes)                                                                              \
	X(EVP_aes_256_gcm)                                                                         \
	X(EVP_CIPHER_CTX_ctrl)                                                                     \
	X(EVP_EncryptFinal_ex)                                                                     \
	X(EVP_DecryptFinal_ex)                                                                     \
	X(EVP_KDF_fetch)                                                                           \
	X(EVP_KDF_free)                                                                            \
	X(EVP_KDF_CTX_new)                                                                         \
	X(EVP_KDF_CTX_free)                                                                        \
	X(EVP_KDF_derive)                                                                          \
	X(OSSL_PARAM_construct_utf8_string)                                                        \
	X(OSSL_PARAM_construct_octet_string)                                                       \
	X(OSSL_PARAM_construct_end)                                                                \
	/* the pseudonyms of smbta_anon.c (smbta_hmac_sha256) */                                   \
	X(HMAC)                                                                                    \
	X(EVP_sha256)

namespace
{

struct Api {
#define SMBTA_MEMBER(name) decltype(&::name) name = nullptr;
	SMBTA_LIBCRYPTO_FUNCTIONS(SMBTA_MEMBER)
#undef SMBTA_MEMBER
};

// Filled in completely, or not at all: until then every function below fails the way its
// OpenSSL original reports failure, and the cipher constructor throws (smbta_c_cipher_new
// returns NULL).
Api api;
bool loaded = false;

} // namespace

extern "C" {

int smbta_libcrypto_load(char *err, size_t errlen)
{
	if (loaded)
		return 0;
	void *lib = dlopen(SMBTA_LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == nullptr) {
		const char *why = dlerror();
		std::snprintf(
			err, errlen,
			"cannot load %s (OpenSSL, needed for key_file and pseudonym_key_file): %s",
			SMBTA_LIBCRYPTO_SONAME, why != nullptr ? why : "unknown error");
		return -1;
	}
	Api found;
#define SMBTA_RESOLVE(name)                                                                            \
	found.name = reinterpret_cast<decltype(&::name)>(dlsym(lib, #name));                           \
	if (found.name == nullptr) {                                                                   \
		std::snprintf(err, errlen, "%s has no function %s", SMBTA_LIBCRYPTO_SONAME,            \
			      #name);                                                                  \
		return -1; /* the library stays loaded (harmless, and dlclose could run its atexit) */ \
	}
	SMBTA_LIBCRYPTO_FUNCTIONS(SMBTA_RESOLVE)
#undef SMBTA_RESOLVE
	// Never dlclose()d: ciphers live until the process exits.
	api = found;
	loaded = true;
	return 0;
}

EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void)
{
	return loaded ? api.EVP_CIPHER_CTX_new() : nullptr;
}

void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *ctx)
{
	if (loaded)
		api.EVP_CIPHER_CTX_free(ctx);
}

int EVP_CIPHER_CTX_set_padding(EVP_CIPHER_CTX *ctx, int pad)
{
	return loaded ? api.EVP_CIPHER_CTX_set_padding(ctx, pad) : 0;
}

int EVP_EncryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl,
		       const unsigned char *key, const unsigned char *iv)
{
	return loaded ? api.EVP_EncryptInit_ex(ctx, cipher, impl, key, iv) : 0;
}

int EVP_EncryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in,
		      int inl)
{
	return loaded ? api.EVP_EncryptUpdate(ctx, out, outl, in, inl) : 0;
}

int EVP_DecryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl,
		       const unsigned char *key, const unsigned char *iv)
{
	return loaded ? api.EVP_DecryptInit_ex(ctx, cipher, impl, key, iv) : 0;
}

int EVP_DecryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in,
		      int inl)
{
	return loaded ? api.EVP_DecryptUpdate(ctx, out, outl, in, inl) : 0;
}

const EVP_CIPHER *EVP_aes_128_ecb(void)
{
	return loaded ? api.EVP_aes_128_ecb() : nullptr;
}

int RAND_bytes(unsigned char *buf, int num)
{
	return loaded ? api.RAND_bytes(buf, num) : 0;
}

// The authenticated transport (common/smbta/aead_frame.cpp): AES-256-GCM and HKDF.
const EVP_CIPHER *EVP_aes_256_gcm(void)
{
	return loaded ? api.EVP_aes_256_gcm() : nullptr;
}

int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr)
{
	return loaded ? api.EVP_CIPHER_CTX_ctrl(ctx, type, arg, ptr) : 0;
}

int EVP_EncryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl)
{
	return loaded ? api.EVP_EncryptFinal_ex(ctx, out, outl) : 0;
}

int EVP_DecryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *outm, int *outl)
{
	return loaded ? api.EVP_DecryptFinal_ex(ctx, outm, outl) : 0;
}

EVP_KDF *EVP_KDF_fetch(OSSL_LIB_CTX *libctx, const char *algorithm, const char *properties)
{
	return loaded ? api.EVP_KDF_fetch(libctx, algorithm, properties) : nullptr;
}

void EVP_KDF_free(EVP_KDF *kdf)
{
	if (loaded)
		api.EVP_KDF_free(kdf);
}

EVP_KDF_CTX *EVP_KDF_CTX_new(EVP_KDF *kdf)
{
	return loaded ? api.EVP_KDF_CTX_new(kdf) : nullptr;
}

void EVP_KDF_CTX_free(EVP_KDF_CTX *ctx)
{
	if (loaded)
		api.EVP_KDF_CTX_free(ctx);
}

int EVP_KDF_derive(EVP_KDF_CTX *ctx, unsigned char *key, size_t keylen, const OSSL_PARAM params[])
{
	return loaded ? api.EVP_KDF_derive(ctx, key, keylen, params) : 0;
}

// Building a parameter array cannot fail in OpenSSL; before loading nothing calls these (no
// cipher exists), and an empty parameter makes the derive above fail anyway.
OSSL_PARAM OSSL_PARAM_construct_utf8_string(const char *key, char *buf, size_t bsize)
{
	return loaded ? api.OSSL_PARAM_construct_utf8_string(key, buf, bsize) : OSSL_PARAM{};
}

OSSL_PARAM OSSL_PARAM_construct_octet_string(const char *key, void *buf, size_t bsize)
{
	return loaded ? api.OSSL_PARAM_construct_octet_string(key, buf, bsize) : OSSL_PARAM{};
}

OSSL_PARAM OSSL_PARAM_construct_end(void)
{
	return loaded ? api.OSSL_PARAM_construct_end() : OSSL_PARAM{};
}

int smbta_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		      unsigned char out[32])
{
	unsigned int out_len = 0;
	if (!loaded || key_len > 0x7fffffff) {
		return -1;
	}
	if (api.HMAC(api.EVP_sha256(), key, static_cast<int>(key_len),
		     static_cast<const unsigned char *>(data), len, out, &out_len) == nullptr ||
	    out_len != 32) {
		return -1;
	}
	return 0;
}

} // extern "C"
