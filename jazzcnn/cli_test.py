"""cli.progress: a bar on a terminal only, with printed lines kept whole."""

import sys

import conftest
from jazzcnn import cli


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch, capsys):
  assert list(cli.progress(['a', 'b'])) == ['a', 'b']
  assert capsys.readouterr().err == ''


def test_bar_on_a_terminal_and_lines_above_it(monkeypatch):
  out, err = conftest.Terminal(), conftest.Terminal()
  monkeypatch.setattr(sys, 'stdout', out)
  monkeypatch.setattr(sys, 'stderr', err)
  for item in cli.progress(['a', 'b', 'c'], unit='file'):
    print(f'did {item}')
  assert sys.stdout is out and sys.stderr is err  # Restored.
  assert out.getvalue().splitlines() == ['did a', 'did b', 'did c']
  assert '| 0/3 ' in err.getvalue() and 'file/s' in err.getvalue()  # Drawn.


def test_one_item_draws_no_bar(monkeypatch):
  err = conftest.Terminal()
  monkeypatch.setattr(sys, 'stderr', err)
  assert list(cli.progress(['only'])) == ['only']
  assert err.getvalue() == ''
