"""Which of this repo's code a records build runs, and a fingerprint of it.

`scripts/cross_validate.sh` keeps a fold's records while a build would make
them again the same way: from the same tapes and flags, and by the same
code. The code is found by following the imports of
`beam_pipelines.build_records` through this repo's packages, read as text
(nothing is imported). A package's `__init__.py` counts only where it is
imported itself (`import jazzcnn` registers the model's layers, which build
no record). The fingerprint hashes the modules' syntax, so an edit to a
comment keeps the records and an edit to the code does not.

  python -c 'from beam_pipelines import builder_code
  print(builder_code.fingerprint())'
"""

import ast
import hashlib
import os

PACKAGES = ('beam_pipelines', 'jazzcnn')  # This repo's: followed.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRY = 'beam_pipelines.build_records'


def _path(root, module):
  """The file of a dotted module name under root, or None."""
  base = os.path.join(root, *module.split('.'))
  for path in (base + '.py', os.path.join(base, '__init__.py')):
    if os.path.isfile(path):
      return path
  return None


def _imported(tree):
  """Dotted names a parsed module imports. `from P import N` gives 'P.N',
  which is P itself where N is no module of P (a function, a class)."""
  for node in ast.walk(tree):  # Imports inside functions too.
    if isinstance(node, ast.Import):
      yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
      yield from (f'{node.module}.{alias.name}' for alias in node.names)


def modules(root=ROOT, entry=ENTRY):
  """Paths, relative to root and sorted, of `entry`'s file and of every
  module of `PACKAGES` it imports, directly or not."""
  seen, todo = set(), [entry]
  while todo:
    name = todo.pop()
    path = _path(root, name) or _path(root, name.rpartition('.')[0])
    if path is None or path in seen:
      continue
    seen.add(path)
    with open(path, encoding='utf-8') as f:
      tree = ast.parse(f.read(), path)
    todo += [n for n in _imported(tree) if n.split('.')[0] in PACKAGES]
  return sorted(os.path.relpath(path, root) for path in seen)


def fingerprint(root=ROOT, entry=ENTRY):
  """12 hex digits that change with the syntax of any of `modules`."""
  digest = hashlib.sha256()
  for path in modules(root, entry):
    with open(os.path.join(root, path), encoding='utf-8') as f:
      syntax = ast.dump(ast.parse(f.read()))  # Comments are not in it.
    digest.update(f'{path}\0{syntax}\0'.encode())
  return digest.hexdigest()[:12]
