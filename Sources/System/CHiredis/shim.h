// hiredis (Debian libhiredis-dev, Redis's own C client): the blocking API only; the proxy calls it
// from dedicated threads (Sources/Proxy/Images/RedisClient.swift).
#include <hiredis/hiredis.h>
