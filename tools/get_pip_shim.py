"""Stand-in for get-pip.py, which ansible-test downloads from a host CI cannot reach.

ansible-test runs this file with pip's arguments plus get-pip's own flags; pip itself comes
from the interpreter's bundled ensurepip, then is upgraded from the package index.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel", "--no-pip"}


def main() -> None:
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args)


if __name__ == "__main__":
    main()
