# Varnish (7.x) in front of Emporium: the CDN tier of the platform's caches (docs/caching.md).
#
# It keeps what the platform marks public (`Cache-Control: public, max-age=…`: products, product
# lists, categories, recommendations, the storefront's files) for max-age, serves it stale for
# stale-while-revalidate while it fetches a new copy, and for stale-if-error while the origin
# is down (its health probe failing); it never keeps an answer to a request with Authorization
# or a cookie, nor one marked private or no-store. The platform purges by surrogate key with a
# BAN request (edgeCache.purge.kind=varnish): every object whose Surrogate-Key lists one of the
# keys is dropped.
#
# Set the backend to the gateway (or `emporium serve`), and the purgers ACL to the addresses of
# the processes that purge (the catalog's and the inventory's).
vcl 4.1;

import std;

backend emporium {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 2s;
    .first_byte_timeout = 15s;
    .probe = {
        .url = "/health/live";
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
    }
}

acl purgers {
    "127.0.0.1";
    "::1";
    "10.0.0.0"/8;
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (!std.ip(req.http.X-Real-IP, client.ip) ~ purgers && !client.ip ~ purgers) {
            return (synth(403, "Not allowed to purge"));
        }
        if (!req.http.Surrogate-Key || req.http.Surrogate-Key !~ "^[A-Za-z0-9_.:-]+( [A-Za-z0-9_.:-]+)*$") {
            return (synth(400, "A BAN needs Surrogate-Key: key [key ...]"));
        }
        # One ban of every object whose keys hold one of these (no space in the regex: a ban's
        # argument ends at one).
        if (std.ban("obj.http.Surrogate-Key ~ (^|[[:space:]])(" + regsuball(req.http.Surrogate-Key, " ", "|") + ")([[:space:]]|$)")) {
            return (synth(200, "Banned"));
        }
        return (synth(400, std.ban_error()));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Files never depend on the caller: their cookies do not matter.
    if (req.url ~ "^/assets/") {
        unset req.http.Cookie;
    }
    # While the origin is healthy, a stale copy is served only for stale-while-revalidate (the
    # platform's default 30 s); when it is down, for the object's whole grace (stale-if-error).
    if (std.healthy(req.backend_hint)) {
        set req.grace = 30s;
    }
    # Varnish's built-in vcl_recv then passes any request with Authorization or Cookie.
}

sub vcl_backend_response {
    # Grace from stale-if-error (the longer of the two stale windows), so a copy outlives its
    # max-age while the origin is down; keep it an hour more to revalidate with If-None-Match.
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1") + "s", 0s);
        set beresp.keep = 1h;
    }
    # Built-in: private, no-store, no-cache, Set-Cookie or Vary: * make it uncacheable.
}

sub vcl_deliver {
    # Whether this answer came from the cache (for people and tests), and no keys to the world.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.Surrogate-Key;
}
