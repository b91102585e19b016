"""Era probabilities of any audio files, whole and window by window.

  python -m jazzcnn.predict --model_dir=runs/NAME tape.mp3 'more/*.flac' tapes/

Files, globs and directories (their audio files at any depth).

A table for people, or --json for programs. A file that cannot be read gets
an error line; the others still run, and a last line counts the failures
(the exit status is 1 if any failed).
"""

import json
import sys

from absl import app
from absl import flags

from jazzcnn import cli
from jazzcnn import predict_lib
from jazzcnn import export

_MODEL_DIR = flags.DEFINE_string('model_dir', None,
                                 'Model dir written by jazzcnn.train.')
_TRIM_SECONDS = flags.DEFINE_float(
    'trim_seconds', -1.0, 'Seconds skipped at both ends of each file; -1: as '
    'the training records were trimmed (eras.json); 0: nothing.')
_HOP_SECONDS = flags.DEFINE_float(
    'hop_seconds', 0.0, 'Seconds between windows; 0: as in training.',
    lower_bound=0)
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 16, 'Windows per batch.',
                                   lower_bound=1)
_JSON = flags.DEFINE_bool('json', False, 'Print one JSON object per file.')
_TIMELINE = flags.DEFINE_bool('timeline', True,
                              'Print the per-window timeline in the table.')


def main(argv):
  if not _MODEL_DIR.value:
    raise app.UsageError('--model_dir is required')
  if len(argv) < 2:
    raise app.UsageError('name at least one audio file, glob or directory')
  try:
    model, meta = export.load_exported(_MODEL_DIR.value)
  except ValueError as e:
    raise app.UsageError(str(e))
  failed = 0
  paths = predict_lib.expand(argv[1:])
  for path in cli.progress(paths, unit='file'):
    why = predict_lib.problem(path)
    if why:
      failed += 1
      _report_error(path, why)
      continue
    try:
      result = predict_lib.predict_file(
          model, meta, path, trim_seconds=_TRIM_SECONDS.value,
          hop_seconds=_HOP_SECONDS.value, batch_size=_BATCH_SIZE.value)
    except predict_lib.FILE_ERRORS as e:
      failed += 1
      _report_error(path, predict_lib.reason(e))
      continue
    if _JSON.value:
      print(json.dumps(result))
    else:
      print(_table(result, meta['eras']))
  if failed:
    print(predict_lib.failures(failed, len(paths), json_lines=_JSON.value),
          file=sys.stderr)
    sys.exit(1)


def _report_error(path, message):
  """A file that failed: a JSON line on stdout with --json, else an ERROR
  line on stderr."""
  if _JSON.value:
    print(json.dumps({'path': path, 'error': message}))
  else:
    print(predict_lib.error_line(path, message), file=sys.stderr)


def _table(result, eras):
  probs = '  '.join(f'{e} {result["probabilities"][e]:.2f}' for e in eras)
  lines = [f'{result["path"]}: {result["era"]}  ({probs})']
  if result['silent_windows']:
    lines[0] += f'  [{result["silent_windows"]} silent windows skipped]'
  if result['heard_in_training']:
    lines[0] += '  [a tape it was fitted or chosen on: not held out]'
  if _TIMELINE.value:
    for w in result['timeline']:
      bar = '  '.join(f'{w["probabilities"][e]:.2f}' for e in eras)
      lines.append(f'  {w["start_seconds"]:9.1f} s  {w["era"]:<8} {bar}')
  return '\n'.join(lines)


if __name__ == '__main__':
  cli.run(main)
