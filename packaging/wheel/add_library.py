"""add_library.py WHEEL DIR LIBRARY: put LIBRARY (its real file, under its own name) into DIR/
inside WHEEL and record it in the wheel's RECORD, for a library libhss loads with dlopen (which
auditwheel cannot see)."""

import base64
import hashlib
import os
import shutil
import sys
import zipfile


def main(wheel: str, directory: str, library: str) -> None:
    if not library or not os.path.isfile(library):
        sys.exit("add_library.py: %r is not a library file (Debian: apt install libyaml-0-2)" % library)
    data = open(os.path.realpath(library), "rb").read()
    name = "%s/%s" % (directory, os.path.basename(library))
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    rebuilt = wheel + ".tmp"
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename.endswith(".dist-info/RECORD"):
                lines = content.decode().splitlines()
                lines.insert(len(lines) - 1, "%s,sha256=%s,%d" % (name, digest, len(data)))
                content = ("\n".join(lines) + "\n").encode()
            new.writestr(item, content)
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        new.writestr(info, data)
    shutil.move(rebuilt, wheel)


if __name__ == "__main__":
    main(*sys.argv[1:])
