#ifndef FEWCLICK_CCURL_H
#define FEWCLICK_CCURL_H

// Non-variadic wrappers around libcurl's variadic setters and getters, which Swift cannot call.
// Everything else in libcurl (curl_easy_init, curl_easy_perform, curl_slist_append, ...) is
// called directly from Swift.

#include <curl/curl.h>

/// curl_global_init(CURL_GLOBAL_ALL).
CURLcode ccurl_global_init(void);

/// curl_easy_setopt for options that take a long (flags, timeouts, sizes below 2 GiB).
CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
/// curl_easy_setopt for options that take a curl_off_t (the *_LARGE options).
CURLcode ccurl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
/// curl_easy_setopt for options that take a pointer (strings, slists, buffers, user data).
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, const void *value);

/// The write/header callback type (CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION).
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *user);
/// The transfer-progress callback type (CURLOPT_XFERINFOFUNCTION).
typedef int (*ccurl_xferinfo_callback)(void *user, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);

/// CURLOPT_WRITEFUNCTION.
CURLcode ccurl_setopt_write_function(CURL *handle, ccurl_data_callback callback);
/// CURLOPT_HEADERFUNCTION.
CURLcode ccurl_setopt_header_function(CURL *handle, ccurl_data_callback callback);
/// CURLOPT_XFERINFOFUNCTION.
CURLcode ccurl_setopt_xferinfo_function(CURL *handle, ccurl_xferinfo_callback callback);

/// The pre-request callback type (CURLOPT_PREREQFUNCTION, libcurl ≥ 7.80): called once the
/// connection is set up (or reused), with the connected peer's address, before the request is sent;
/// returning CURL_PREREQFUNC_ABORT aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
typedef int (*ccurl_prereq_callback)(void *user, char *primary_ip, char *local_ip, int primary_port,
                                     int local_port);

/// CURLOPT_PREREQFUNCTION.
CURLcode ccurl_setopt_prereq_function(CURL *handle, ccurl_prereq_callback callback);

/// curl_easy_getinfo for CURLINFO_LONG values.
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
/// curl_easy_getinfo for CURLINFO_OFF_T values.
CURLcode ccurl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);

#endif
