"""Runs one test file under pytest, for Bazel's py_test (see tools/defs.bzl)."""

import sys

import pytest

if __name__ == '__main__':
  sys.exit(pytest.main(['-p', 'no:cacheprovider', *sys.argv[1:]]))
