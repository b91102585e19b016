"""The README's size rule: library modules of at most 300 lines, functions
of at most 60 (a longer one only by its docstring).

Files that do one job stay small enough to read at a sitting. The rule
covers the packages' modules and binaries, not their tests; `tools/` is
out of it (the README names `tools/accelerator_train.py` as longer).
"""

import ast
import subprocess

import conftest

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
PACKAGES = ('jazzcnn', 'beam_pipelines')


def _library_files():
  listed = subprocess.run(['git', 'ls-files', *PACKAGES], cwd=conftest.ROOT,
                          capture_output=True, text=True, check=True)
  return [p for p in listed.stdout.split()
          if p.endswith('.py') and not p.endswith('_test.py')]


def oversized(source):
  """(what, lines) of `source`: the module when over MAX_MODULE_LINES, and
  each function over MAX_FUNCTION_LINES once its docstring is left out."""
  out = []
  lines = source.count('\n')
  if lines > MAX_MODULE_LINES:
    out.append(('module', lines))
  for node in ast.walk(ast.parse(source)):
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
      continue
    length = node.end_lineno - node.lineno + 1
    if ast.get_docstring(node) is not None:
      doc = node.body[0]
      length -= doc.end_lineno - doc.lineno + 1
    if length > MAX_FUNCTION_LINES:
      out.append((node.name, length))
  return out


def test_the_check_finds_a_long_module_and_a_long_function():
  body = ''.join(f'  x{i} = {i}\n' for i in range(61))
  doc = '  """' + 'Words.\n' * 100 + '  """\n'
  source = (f'def long():\n{body}\n\ndef documented():\n{doc}  return 1\n'
            + '\n' * 200)
  assert oversized(source) == [('module', 367), ('long', 62)]
  assert oversized('def f():\n  return 1\n') == []


def test_library_modules_and_functions_keep_their_size():
  found = {}
  for path in _library_files():
    with open(f'{conftest.ROOT}/{path}', encoding='utf-8') as f:
      if over := oversized(f.read()):
        found[path] = over
  assert not found, (f'split these (README: modules <= {MAX_MODULE_LINES} '
                     f'lines, functions <= {MAX_FUNCTION_LINES}): {found}')
