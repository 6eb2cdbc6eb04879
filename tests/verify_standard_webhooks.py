"""Verify Faultline deliveries with the reference `standardwebhooks` library (PyPI).

Reads {"secret": "whsec_...", "deliveries": [{"headers": {...}, "body": "..."}]} on stdin and
exits non-zero if any delivery fails verification.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook


def main() -> int:
    data = json.load(sys.stdin)
    verifier = Webhook(data["secret"])
    for i, delivery in enumerate(data["deliveries"]):
        try:
            verifier.verify(delivery["body"], delivery["headers"])
        except Exception as err:  # the library raises WebhookVerificationError
            print(f"delivery {i}: {err}")
            return 1
    print(f"{len(data['deliveries'])} deliveries verified with standardwebhooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
