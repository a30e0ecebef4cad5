"""Health check of the web container: GET /healthz answers 200 (the database answers too).

The Host header is the first entry of ALLOWED_HOSTS, so the request passes Django's host
check; X-Forwarded-Proto says https, so the https redirect (if on) does not apply; a
redirect is not followed, so only a real 200 counts. Exit 0 healthy, 1 not.
"""

import http.client
import os
import sys


def main() -> int:
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    port = int(os.environ.get("LVV_HEALTHCHECK_PORT", "8000"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
        status = conn.getresponse().status
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: /healthz answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
