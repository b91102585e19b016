"""pytest_test: a py_test that runs one pytest file with the shared fixtures."""

load("@pypi//:requirements.bzl", "requirement")
load("@rules_python//python:defs.bzl", "py_test")

def pytest_test(name, srcs, deps = [], data = [], **kwargs):
    py_test(
        name = name,
        srcs = srcs + ["//tools:pytest_main.py"],
        main = "//tools:pytest_main.py",
        args = ["$(location %s)" % srcs[0]],
        deps = deps + ["//:conftest", requirement("pytest")],
        data = data + ["//flags:flagfiles"],
        **kwargs
    )
