"""Docstrings hold shell commands as written, backslashes included.

A binary's module docstring is its `--help` usage. In a plain string a
backslash at a line's end joins the next line to it, so every multi-line
command shown there lost its continuations: `python -m jazzcnn.train
--help` printed `--strategy=mirrored       --data_dir=...` on one line.
Such docstrings must be raw strings.
"""

import ast
import subprocess

import conftest


def _python_files():
  listed = subprocess.run(['git', 'ls-files', '*.py'], cwd=conftest.ROOT,
                          capture_output=True, text=True, check=True)
  return listed.stdout.split()


def _joined_docstrings(path):
  """(line, name) of the docstrings in `path` that a backslash-newline
  would join: not raw strings, and holding one in their source."""
  with open(f'{conftest.ROOT}/{path}', encoding='utf-8') as f:
    source = f.read()
  out = []
  for node in ast.walk(ast.parse(source)):
    if not (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                              ast.AsyncFunctionDef))
            and ast.get_docstring(node, clean=False) is not None):
      continue
    text = ast.get_source_segment(source, node.body[0].value)
    if '\\\n' in text and not text.lower().startswith('r'):
      out.append((node.body[0].lineno, getattr(node, 'name', '<module>')))
  return out


def test_the_check_finds_a_joined_docstring(tmp_path, monkeypatch):
  (tmp_path / 'joined.py').write_text(
      '"""Usage:\n\n  run \\\n    --flag\n"""\n\n'
      'def f():\n  r"""Kept: \\\n  x."""\n')
  monkeypatch.setattr(conftest, 'ROOT', str(tmp_path))
  assert _joined_docstrings('joined.py') == [(1, '<module>')]


def test_no_docstring_joins_its_lines():
  joined = {path: found for path in _python_files()
            if (found := _joined_docstrings(path))}
  assert not joined, f'make these docstrings raw (r"""): {joined}'
