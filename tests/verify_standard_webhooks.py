"""Verify Faultline deliveries with the reference `standardwebhooks` library (PyPI).

Reads JSON on stdin, either
  {"secret": "whsec_...", "deliveries": [{"headers": {...}, "body": "..."}]}   (all must verify), or
  {"checks": [{"secret": "whsec_...", "headers": {...}, "body": "...", "expect": "valid"|"invalid"}]}
and exits non-zero if any outcome differs from what was expected.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook


def verifies(secret: str, headers: dict, body: str) -> bool:
    try:
        Webhook(secret).verify(body, headers)
        return True
    except Exception:  # the library raises WebhookVerificationError
        return False


def main() -> int:
    data = json.load(sys.stdin)
    checks = data.get("checks") or [
        {"secret": data["secret"], "headers": d["headers"], "body": d["body"], "expect": "valid"}
        for d in data["deliveries"]
    ]
    failures = []
    for i, check in enumerate(checks):
        ok = verifies(check["secret"], check["headers"], check["body"])
        if ok != (check["expect"] == "valid"):
            failures.append(f"check {i}: expected {check['expect']}, library said {'valid' if ok else 'invalid'}")
    for failure in failures:
        print(failure)
    print(f"{len(checks) - len(failures)} of {len(checks)} checks as expected (standardwebhooks)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
