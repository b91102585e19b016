"""Runs a command's main: an expected error is one line on stderr, exit 1.

Every binary ends with `cli.run(main)`. Raising `app.UsageError` (bad flags,
missing files, unusable input) prints `command: message` and a pointer to
--help, not absl's whole module docstring; `errors.DataError` (records that
differ from their dataset_info.json) prints `command: message`. Ctrl-C
prints `command: interrupted` and exits 130, as shells expect. A traceback
is left for real bugs, and printed before the line with --verbosity=1,
which also turns Beam's INFO logging on. At the default verbosity a
warning reads `command: warning: message`, without absl's log prefix.
"""

import logging as std_logging
import os
import posixpath
import re
import sys
import traceback

from absl import app
from absl import flags
from absl import logging
import tensorflow as tf
import tqdm
import tqdm.contrib

from jazzcnn import errors
from jazzcnn import outputs

# The directories `makedirs` created in this process (the outermost of
# each); an expected error removes those still empty.
_CREATED = []


def run(main, *, known_only=False, on_interrupt=''):
  """`app.run(main)`, with usage errors and bad flag values as one line.

  known_only: leave flags this program does not define in argv for main
  (the records builder passes them to Beam).
  on_interrupt: what to do after Ctrl-C, added to the line it prints.
  """
  spec = getattr(sys.modules['__main__'], '__spec__', None)
  name = spec.name if spec else os.path.basename(sys.argv[0])

  def parse(argv):
    """absl's parse, with its error ('flag --batch_size=0: 0 is not a
    positive integer') as the one line, not a FATAL line and a pointer to
    --helpfull."""
    try:
      return flags.FLAGS(_read_flagfiles(argv), known_only=known_only)
    except flags.Error as e:
      message = '; '.join(l.strip() for l in str(e).splitlines() if l.strip())
      # absl's flagfile errors begin 'ERROR:: '; the line names the command.
      message = _as_typed(re.sub(r'^ERROR:+\s*', '', message))
      print(f'{name}: {message} (--help for the flags)', file=sys.stderr)
      sys.exit(1)

  def wrapped(argv):
    if logging.get_verbosity() < 1:  # Beam's INFO only on request.
      std_logging.getLogger('apache_beam').setLevel(std_logging.WARNING)
    if logging.get_verbosity() < 0:
      logging.get_absl_handler().setFormatter(_Plain(name))
    try:
      return main(argv)
    except app.UsageError as e:
      _report(f'{name}: {e} (--help for the flags)')
      sys.exit(1)
    except errors.DataError as e:
      _report(f'{name}: {e}')
      sys.exit(1)
    except KeyboardInterrupt:
      _report(f'\n{name}: interrupted' + (f'; {on_interrupt}' if on_interrupt
                                          else ''))
      if logging.get_verbosity() < 1:
        _silence_stderr()
      sys.exit(128 + 2)  # SIGINT's status.
    except SystemExit as e:  # A command's own failing exit, e.g. sys.exit(1).
      if e.code not in (0, None):
        _tidy()
      raise

  # Quiet by default: warnings and errors only; --verbosity=0 for our INFO
  # lines, 1 for Beam's too and tracebacks. First, so that any later
  # --verbosity (a flagfile's too) wins.
  app.run(wrapped, argv=[sys.argv[0], '--verbosity=-1', *sys.argv[1:]],
          flags_parser=parse)


# The checkout (or Bazel's runfiles root): where flags/ is.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read_flagfiles(argv):
  """argv with its --flagfile arguments read, by absl.

  The files in flags/ name those they build on from the checkout's root
  (`--flagfile=flags/default.cfg` in flags/cpu.cfg), and absl reads a
  path from where the command runs. So from another folder, with a
  flagfile's full path, the files it names that are not found there are
  read from the checkout's root. A path on the command line is always read
  from where the command runs.
  """
  try:
    return [argv[0], *flags.FLAGS.read_flags_from_files(argv[1:], False)]
  except flags.CantOpenFlagFileError as e:
    first = e
  args, cwd = list(argv[1:]), os.getcwd()
  for i, arg in enumerate(args):
    name, equals, path = arg.partition('=')
    if name in ('--flagfile', '-flagfile') and equals and path:
      args[i] = f'{name}={os.path.abspath(path)}'
    elif arg in ('--flagfile', '-flagfile') and i + 1 < len(args):
      args[i + 1] = os.path.abspath(args[i + 1])
  try:
    os.chdir(_ROOT)
    return [argv[0], *flags.FLAGS.read_flags_from_files(args, False)]
  except flags.CantOpenFlagFileError:
    raise first from None  # Named as absl found it from here.
  finally:
    os.chdir(cwd)


class _Plain(std_logging.Formatter):
  """`command: warning: message`, as the command's other lines read.

  At the default verbosity (warnings and errors only) the reader is a user,
  not a log: absl's prefix of date, time, thread id and source line goes.
  --verbosity=0 and above keep it.
  """

  def __init__(self, name):
    super().__init__()
    self._name = name

  def format(self, record):
    return f'{self._name}: {record.levelname.lower()}: {super().format(record)}'


def _as_typed(message, flag_values=flags.FLAGS):
  """absl's message with a list flag's value written as it is typed.

  A validator's error names the flag's parsed value, which for a list flag
  is Python's repr ("flag --memory_minutes=['10']: ..."); this writes it
  back in the command line's form ("flag --memory_minutes=10: ...").
  """
  match = re.match(r'flag --(\w+)=', message)
  if not match or match.group(1) not in flag_values:
    return message
  flag = flag_values[match.group(1)]
  shown = f'flag --{flag.name}={flag.value}'
  if not isinstance(flag.value, list) or not message.startswith(shown):
    return message
  return f'flag {flag.serialize()}{message[len(shown):]}'


def _silence_stderr():
  """Sends what is written to stderr from now on to /dev/null.

  After Ctrl-C, what native code prints while the interpreter shuts down
  is noise: e.g. nanobind reports as leaks the resamplers that the stopped
  records builder's worker threads still held (20 lines).
  """
  sys.stderr.flush()
  os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())


def _report(line):
  """An expected failure's line on stderr, after removing what `makedirs`
  created and nothing filled; with --verbosity=1 or more, the traceback
  first (for reporting a bug)."""
  if logging.get_verbosity() >= 1:
    traceback.print_exc()
  _tidy()
  print(line, file=sys.stderr)


def progress(items, **tqdm_args):
  """Yields `items` under a progress bar on a terminal, for more than one.

  The bar is drawn on stderr only when it is a terminal (logs stay clean),
  and lines printed meanwhile go above it instead of through it.
  """
  items = list(items)
  if len(items) < 2 or not sys.stderr.isatty():
    yield from items
    return
  streams = sys.stdout, sys.stderr
  sys.stdout, sys.stderr = map(tqdm.contrib.DummyTqdmFile, streams)
  try:
    yield from tqdm.tqdm(items, file=streams[1], dynamic_ncols=True,
                         leave=False, **tqdm_args)
  finally:
    sys.stdout, sys.stderr = streams


def _tidy():
  """Removes what `makedirs` created and nothing filled: a command that
  fails on an expected error leaves no empty output directory."""
  for top in _CREATED:
    outputs.remove_empty_dirs(top)


def output_file(path, flag):
  """Checks that an output file can be written before any work: its
  directory is created (`makedirs`), and `path` is not a directory.

  Raises:
    UsageError: naming `flag`.
  """
  if tf.io.gfile.isdir(path):
    raise app.UsageError(f'{flag}={path} is a directory; name a file in it')
  makedirs(posixpath.dirname(path) or '.', flag)


def makedirs(path, flag):
  """Creates an output directory, or raises UsageError naming `flag`.

  Before any work starts, so that an existing file or an unwritable place
  costs one line, not a run. If the command then fails on an expected error
  (`run`), the directory is removed again unless something was written in
  it.
  """
  top = outputs.missing_top(path)
  try:
    tf.io.gfile.makedirs(path)
    if top:
      _CREATED.append(top)
    probe = posixpath.join(path, f'.write-test-{os.getpid()}')
    with tf.io.gfile.GFile(probe, 'w') as f:
      f.write('')
    tf.io.gfile.remove(probe)
  except (tf.errors.OpError, OSError) as e:
    reason = getattr(e, 'message', None) or getattr(e, 'strerror', None) or e
    raise app.UsageError(f'{flag}={path} cannot be written: {reason}')
