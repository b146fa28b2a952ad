#ifndef FEWCLICK_CCURL_H
#define FEWCLICK_CCURL_H
#include <curl/curl.h>
#endif
