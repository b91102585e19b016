"""cli.progress: a bar on a terminal only, with printed lines kept whole;
cli._as_typed: a list flag's bad value as typed."""

import sys

from absl import flags
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


def test_a_list_flags_bad_value_is_written_as_typed():
  values = flags.FlagValues()
  flags.DEFINE_list('minutes', [], 'list', flag_values=values)
  flags.DEFINE_integer('steps', 1, 'integer', flag_values=values)
  values(['prog', '--minutes=10,x', '--steps=0'])
  assert (cli._as_typed("flag --minutes=['10', 'x']: bad", values)
          == 'flag --minutes=10,x: bad')
  for unchanged in ('flag --steps=0: 0 is not a positive integer',
                    "flag --nosuch=['1']: bad", 'no flag named here'):
    assert cli._as_typed(unchanged, values) == unchanged
