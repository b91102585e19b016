"""scripts/setup.sh: what it installs, and pip's warnings about absent index
folders hidden, and only those.

A pip.conf that names local index folders which are not there makes pip
print one such warning a package and folder (208 lines on the machine this
was found on). The script's pip runs here are a stand-in `.venv/bin/python`
that prints what pip would and exits as told, so nothing is installed.
"""

import os
import shutil
import stat
import subprocess

import conftest

_ABSENT = ("WARNING: Location 'file:///opt/pypi-more/simple/numpy/' is "
           'ignored: it is neither a file nor a directory.')
_OTHER_WARNING = 'WARNING: Retrying after connection broken'
_ERROR = 'ERROR: No matching distribution found for tensorflow==2.20.0'


def _checkout(tmp_path, pip_status):
  """A copy of what setup.sh reads, with a stand-in pip exiting `pip_status`."""
  root = tmp_path / 'checkout'
  (root / 'scripts').mkdir(parents=True)
  shutil.copy(os.path.join(conftest.ROOT, 'scripts', 'setup.sh'),
              root / 'scripts')
  for name in ('requirements.txt', 'requirements_nodeps.txt', 'setup.py'):
    shutil.copy(os.path.join(conftest.ROOT, name), root)
  python = root / '.venv' / 'bin' / 'python'
  python.parent.mkdir(parents=True)
  python.write_text(
      '#!/bin/sh\n'
      'echo "$*" >> "$(dirname "$0")/calls"\n'
      f'echo "{_ABSENT}" >&2\n'
      f'echo "{_OTHER_WARNING}" >&2\n'
      f'echo "{_ABSENT}" >&2\n'
      'echo "Collecting tensorflow==2.20.0"\n'
      f'[ {pip_status} -eq 0 ] || echo "{_ERROR}" >&2\n'
      f'exit {pip_status}\n')
  python.chmod(python.stat().st_mode | stat.S_IXUSR)
  return root


def _setup(root, *args):
  return subprocess.run(['bash', str(root / 'scripts' / 'setup.sh'), *args],
                        capture_output=True, text=True, timeout=60,
                        check=False)


def test_hides_absent_index_warnings_and_keeps_every_other_line(tmp_path):
  root = _checkout(tmp_path, pip_status=0)
  result = _setup(root)
  assert result.returncode == 0, result.stderr
  assert 'Location' not in result.stderr, result.stderr
  calls = (root / '.venv' / 'bin' / 'calls').read_text().splitlines()
  assert len(calls) == 3, calls
  assert calls[0].endswith('-r requirements.txt'), calls
  assert calls[1].endswith('--no-deps -r requirements_nodeps.txt'), calls
  # jazzcnn itself, so that `python -m jazzcnn.train` runs from any folder.
  assert calls[2].endswith('--no-deps --editable .'), calls
  assert result.stderr.count(_OTHER_WARNING) == 3, result.stderr
  assert result.stdout.count('Collecting tensorflow') == 3, result.stdout
  assert (root / '.venv' / '.requirements.sha256').exists()
  # Current now: a second run installs nothing.
  again = _setup(root)
  assert again.returncode == 0 and not again.stderr and not again.stdout


def test_check_says_whether_the_venv_is_current_and_installs_nothing(tmp_path):
  root = _checkout(tmp_path, pip_status=0)
  calls = root / '.venv' / 'bin' / 'calls'
  assert _setup(root, '--check').returncode == 1  # Never installed.
  assert not calls.exists()
  assert _setup(root).returncode == 0
  assert _setup(root, '--check').returncode == 0
  # setup.py changed (so may what the editable install needs): not current.
  with open(root / 'setup.py', 'a') as f:
    f.write('# another version\n')
  check = _setup(root, '--check')
  assert check.returncode == 1 and not check.stdout and not check.stderr
  assert len(calls.read_text().splitlines()) == 3  # The one install only.


def test_a_failed_install_shows_pips_error_and_stops(tmp_path):
  root = _checkout(tmp_path, pip_status=1)
  result = _setup(root)
  assert result.returncode == 1, (result.stdout, result.stderr)
  assert _ERROR in result.stderr and 'Location' not in result.stderr
  assert result.stdout.count('Collecting tensorflow') == 1  # Stopped there.
  assert not (root / '.venv' / '.requirements.sha256').exists()
