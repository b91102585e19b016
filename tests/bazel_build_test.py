"""BUILD files mirror the modules: checked offline, without fetching rules.

Bazel cannot fetch rules_python here (no network), so `bazel test //...`
is not run in CI. This test evaluates every BUILD file with stub rule
functions and checks what Bazel would: each module has its target, each test
file its test target, every `srcs` exists, and every first-party import is a
declared dependency.
"""

import ast
import glob
import os
import re

import pytest

import conftest

ROOT = conftest.ROOT
PACKAGES = ('jazzcnn', 'jazzcnn/models', 'beam_pipelines', 'tests')


def _targets(package):
  """{name: (rule, kwargs)} of a BUILD file, evaluated with stubs."""
  targets = {}

  def rule(kind):
    def record(name, **kwargs):
      assert name not in targets, f'//{package}:{name} defined twice'
      targets[name] = (kind, kwargs)
    return record

  env = {k: rule(k) for k in ('py_library', 'py_binary', 'pytest_test',
                              'py_test', 'filegroup')}
  env.update(load=lambda *a, **k: None, package=lambda **k: None,
             exports_files=lambda *a, **k: None,
             requirement=lambda name: f'@pypi//{name}',
             glob=lambda patterns: sorted(
                 os.path.relpath(p, os.path.join(ROOT, package))
                 for pat in patterns
                 for p in glob.glob(os.path.join(ROOT, package, pat))))
  with open(os.path.join(ROOT, package, 'BUILD')) as f:
    exec(compile(f.read(), f'{package}/BUILD', 'exec'), env)  # pylint: disable=exec-used
  return targets


def _label(dotted):
  """The target of a dotted module or package name, or None."""
  parts = dotted.split('.')
  if os.path.isdir(os.path.join(ROOT, *parts)):
    return f'//{"/".join(parts)}:{parts[-1]}'  # A package: its __init__.
  if ('/'.join(parts[:-1]) in PACKAGES and
      os.path.exists(os.path.join(ROOT, *parts) + '.py')):
    return f'//{"/".join(parts[:-1])}:{parts[-1]}'
  return None


def _first_party_imports(path):
  """Labels of the modules `path` imports, or runs as `python -m pkg.mod`."""
  tree = ast.parse(open(path).read())
  found = set()
  for node in ast.walk(tree):
    if (isinstance(node, ast.Constant) and isinstance(node.value, str) and
        re.fullmatch(r'(jazzcnn|beam_pipelines|tests)(\.\w+)+', node.value)):
      found.add(_label(node.value))
    if (isinstance(node, ast.ImportFrom) and node.module and
        node.module.replace('.', '/') in PACKAGES):
      found |= {_label(f'{node.module}.{a.name}') for a in node.names}
    elif isinstance(node, ast.Import):
      for alias in node.names:
        if alias.name.split('.')[0] in PACKAGES and '.' in alias.name:
          found.add(_label(alias.name))
  return found - {None}


def _absolute(package, label):
  return f'//{package}{label}' if label.startswith(':') else label


@pytest.mark.parametrize('package', PACKAGES)
def test_every_module_and_test_has_its_target(package):
  targets = _targets(package)
  by_src = {src: name for name, (_, kw) in targets.items()
            for src in kw.get('srcs', [])}
  for path in sorted(glob.glob(os.path.join(ROOT, package, '*.py'))):
    src = os.path.basename(path)
    module = src[:-3]
    assert src in by_src, f'{package}/{src} has no BUILD target'
    kind = targets[by_src[src]][0]
    if src.endswith('_test.py'):
      assert kind == 'pytest_test', f'{package}/{src} is a {kind}'
    elif re.search(r'\b(app|cli)\.run\(main', open(path).read()):
      assert kind == 'py_binary' and by_src[src] == module, src
    elif src != '__init__.py':
      assert kind == 'py_library' and by_src[src] == module, src


@pytest.mark.parametrize('package', PACKAGES)
def test_srcs_exist_and_imports_are_declared(package):
  targets = _targets(package)
  all_labels = {f'//{p}:{n}' for p in PACKAGES for n in _targets(p)}
  for name, (kind, kwargs) in targets.items():
    for src in kwargs.get('srcs', []):
      if not src.startswith('//'):
        assert os.path.exists(os.path.join(ROOT, package, src)), (name, src)
    deps = {_absolute(package, d) for d in kwargs.get('deps', [])}
    # Binaries a test runs (`python -m pkg.module`) are data, not deps.
    runs = {_absolute(package, d) for d in kwargs.get('data', [])
            if d.startswith((':', '//')) and not d.startswith('//:')}
    for dep in deps | runs:
      if dep.startswith('//') and dep.split(':')[0][2:] in PACKAGES:
        assert dep in all_labels, f'//{package}:{name} depends on {dep}'
    for src in kwargs.get('srcs', []):
      if src.endswith('.py') and not src.startswith('//'):
        wanted = _first_party_imports(os.path.join(ROOT, package, src))
        wanted.discard(f'//{package}:{name}')
        missing = wanted - deps - runs
        # A binary may lean on its own library, a test on what it tests.
        assert not missing, f'//{package}:{name} lacks deps {sorted(missing)}'


@pytest.mark.parametrize('package', ('',) + PACKAGES)
def test_what_reads_a_flagfile_carries_the_flagfiles(package):
  # A quoted flagfile path, or the flags directory quoted: the file
  # opens flags/*.cfg at run time, so Bazel's sandbox must hold them.
  reads = re.compile(r'''['"](--flagfile=)?flags(/\w+\.cfg)?['"]''')
  for name, (_, kwargs) in _targets(package).items():
    sources = [os.path.join(ROOT, package, s) for s in kwargs.get('srcs', [])
               if s.endswith('.py') and not s.startswith('//')]
    if any(reads.search(open(s).read()) for s in sources):
      assert '//flags:flagfiles' in kwargs.get('data', []), (
          f'//{package}:{name} reads flags/ but lacks //flags:flagfiles')


def test_workspace_pins_rules_and_the_whole_lock():
  workspace = open(os.path.join(ROOT, 'WORKSPACE')).read()
  assert 'requirements_lock = "//:requirements_lock.txt"' in workspace
  assert re.search(r'rules_python-[\d.]+\.tar\.gz', workspace)
  assert re.search(r'sha256 = "[0-9a-f]{64}"', workspace)


def test_lock_holds_every_pin_and_every_requirement_used():
  lock = conftest.requirement_pins('requirements_lock.txt')
  for package, version in conftest.requirement_pins().items():
    assert lock.get(package) == version, (
        f'requirements_lock.txt has {package}=={lock.get(package)}, '
        f'requirements.txt {version}: regenerate the lock (see its header)')
  for path in glob.glob(os.path.join(ROOT, '*', 'BUILD')) + [
      os.path.join(ROOT, 'BUILD')]:
    for package in re.findall(r'requirement\("([^"]+)"\)', open(path).read()):
      assert re.sub(r'[-_.]+', '-', package).lower() in lock, (path, package)
