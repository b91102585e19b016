"""cli.progress: a bar on a terminal only, with printed lines kept whole;
cli._as_typed: a list flag's bad value as typed; a failed command's empty
output directories removed; warnings as the command's lines; flags/'s
files read from any folder."""

import os
import subprocess
import sys

from absl import flags
import pytest

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


_FAILING_COMMAND = '''
import atexit
import os
import sys
from absl import app
from jazzcnn import cli

def main(argv):
  out, how = argv[1], argv[2]
  cli.makedirs(out + '/a/b', '--output')
  if how == 'write':
    open(out + '/a/kept.json', 'w').write('{}')
  if how == 'exit':
    sys.exit(1)
  if how == 'interrupt':  # Ctrl-C, and native noise at shutdown.
    atexit.register(os.write, 2, b'nanobind: leaked 1 instances!\\n')
    raise KeyboardInterrupt
  raise app.UsageError('bad input')

cli.run(main, on_interrupt='rerun to go on')
'''


def test_a_failed_command_removes_the_directories_it_created_empty(tmp_path):
  script = tmp_path / 'command.py'
  script.write_text(_FAILING_COMMAND)
  for how in ('usage', 'exit', 'write', 'interrupt'):
    out = tmp_path / how
    result = subprocess.run([sys.executable, str(script), str(out), how],
                            capture_output=True, text=True, cwd=conftest.ROOT,
                            env=dict(os.environ, PYTHONPATH=conftest.ROOT))
    if how == 'interrupt':
      assert result.returncode == 130, result.stderr[-2000:]
      lines = result.stderr.strip().splitlines()  # TensorFlow's log first.
      assert lines[-1] == 'command.py: interrupted; rerun to go on', lines
      assert 'nanobind' not in result.stderr
    else:
      assert result.returncode == 1, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
    if how == 'write':  # What a command wrote stays, with its directory.
      assert sorted(p.name for p in out.rglob('*')) == ['a', 'kept.json']
    else:
      assert not out.exists(), how


_WARNING_COMMAND = '''
from absl import logging
from jazzcnn import cli

def main(argv):
  logging.warning('train lacks %s', 'bop')
  logging.info('an INFO line')

cli.run(main)
'''


def test_a_warning_reads_as_a_line_of_the_command_unless_verbose(tmp_path):
  script = tmp_path / 'command.py'
  script.write_text(_WARNING_COMMAND)

  def warnings(*flags_given):
    result = subprocess.run([sys.executable, str(script), *flags_given],
                            capture_output=True, text=True, cwd=conftest.ROOT,
                            env=dict(os.environ, PYTHONPATH=conftest.ROOT,
                                     TF_CPP_MIN_LOG_LEVEL='3'))
    assert result.returncode == 0, result.stderr[-2000:]
    return [l for l in result.stderr.splitlines() if 'lacks' in l or 'INFO' in l
            or 'an INFO line' in l]

  assert warnings() == ['command.py: warning: train lacks bop']
  verbose = warnings('--verbosity=0')  # A log's lines: time, source.
  assert len(verbose) == 2 and verbose[0].startswith('W'), verbose
  assert verbose[0].endswith('command.py:6] train lacks bop'), verbose


def _flag_lines(path):
  return [line.strip() for line in open(path)
          if line.strip() and not line.startswith('#')]


def test_flagfiles_of_flags_name_theirs_from_the_checkout_from_any_folder(
    tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  smoke = os.path.join(conftest.ROOT, 'flags', 'cpu_smoke.cfg')
  default = _flag_lines(os.path.join(conftest.ROOT, 'flags', 'default.cfg'))
  own = [l for l in _flag_lines(smoke) if not l.startswith('--flagfile=')]
  for argv in (['prog', f'--flagfile={smoke}', '--epochs=3'],
               ['prog', '--flagfile', smoke, '--epochs=3']):
    # cpu_smoke.cfg names flags/default.cfg, which is not under tmp_path.
    assert cli._read_flagfiles(argv) == ['prog', *default, *own, '--epochs=3']
    assert os.getcwd() == str(tmp_path)
  # A path on the command line is read from where the command runs.
  with pytest.raises(flags.CantOpenFlagFileError, match="'flags/cpu_smoke.cfg'"):
    cli._read_flagfiles(['prog', '--flagfile=flags/cpu_smoke.cfg'])
  # A file named in a flagfile and found nowhere is named as it is written.
  mine = tmp_path / 'mine.cfg'
  mine.write_text('--flagfile=flags/nosuch.cfg\n--epochs=2\n')
  with pytest.raises(flags.CantOpenFlagFileError, match="'flags/nosuch.cfg'"):
    cli._read_flagfiles(['prog', '--flagfile=mine.cfg'])
  # One of its own, beside it, is read from here as absl reads it.
  (tmp_path / 'base.cfg').write_text('--batch_size=4\n')
  mine.write_text('--flagfile=base.cfg\n--epochs=2\n')
  assert cli._read_flagfiles(['prog', '--flagfile=mine.cfg']) == [
      'prog', '--batch_size=4', '--epochs=2']
  assert os.getcwd() == str(tmp_path)
