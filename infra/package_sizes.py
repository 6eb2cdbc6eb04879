#!/usr/bin/env python3
"""Prints the size of each function's deployment zip, built from `sam build`'s output.

Usage: package_sizes.py <.aws-sam/build>. Each function directory holds a `bootstrap`; it is
zipped (deflate, as `sam deploy` uploads it) in memory and measured. Fails when a zip is over
Lambda's 50 MB direct-upload limit or a bootstrap over the 250 MB unzipped limit.
"""

import io
import pathlib
import sys
import zipfile

ZIP_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024


def zipped_size(bootstrap: pathlib.Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(bootstrap, "bootstrap")
    return buffer.tell()


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")
    bootstraps = sorted(root.glob("*/bootstrap"))
    if not bootstraps:
        print(f"no bootstrap under {root}: run `make build` first", file=sys.stderr)
        return 1
    failed = False
    print(f"{'function':<32} {'bootstrap':>12} {'zip':>12}")
    total = 0
    for bootstrap in bootstraps:
        raw = bootstrap.stat().st_size
        packed = zipped_size(bootstrap)
        total += packed
        flag = ""
        if packed > ZIP_LIMIT or raw > UNZIPPED_LIMIT:
            flag = "  over Lambda's limit"
            failed = True
        print(f"{bootstrap.parent.name:<32} {raw:>12,} {packed:>12,}{flag}")
    print(f"{len(bootstraps)} functions, {total:,} bytes zipped in all")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
