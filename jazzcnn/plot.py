"""Pictures of a trained model: one window's melspectrogram, training curves
(with the epoch whose weights were kept).

  python -m jazzcnn.plot --model_dir=runs/NAME --audio=tape.mp3
  # → MODEL_DIR/plots/melspec.png and MODEL_DIR/plots/curves.png
"""

import posixpath

from absl import app
from absl import flags

from jazzcnn import audio
from jazzcnn import checkpoints
from jazzcnn import cli
from jazzcnn import predict_lib
from jazzcnn import plots
from jazzcnn import export

_MODEL_DIR = flags.DEFINE_string('model_dir', None,
                                 'Model dir written by jazzcnn.train.')
_AUDIO = flags.DEFINE_string(
    'audio', '', 'Audio file whose window is drawn as melspec.png; empty: no '
    'melspectrogram.')
_WINDOW = flags.DEFINE_integer(
    'window', 0, 'Which window of --audio to draw (silent windows not '
    'counted: the model never hears them).', lower_bound=0)
_TRIM_SECONDS = flags.DEFINE_float(
    'trim_seconds', -1.0, 'Seconds skipped at both ends of each file; -1: as '
    'the training records were trimmed (eras.json); 0: nothing.')
_OUTPUT_DIR = flags.DEFINE_string('output_dir', '',
                                  'Where PNGs go; empty: MODEL_DIR/plots.')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  if not _MODEL_DIR.value:
    raise app.UsageError('--model_dir is required')
  if _AUDIO.value and predict_lib.problem(_AUDIO.value):
    raise app.UsageError(
        f'--audio={_AUDIO.value}: {predict_lib.problem(_AUDIO.value)}')
  out = _OUTPUT_DIR.value or posixpath.join(_MODEL_DIR.value, 'plots')
  cli.makedirs(out, '--output_dir')
  try:
    # The audio first: a bad file is reported before anything is written.
    melspec = _melspec(_AUDIO.value) if _AUDIO.value else None
    best = checkpoints.read_best(
        posixpath.join(_MODEL_DIR.value, checkpoints.BEST_DIR))
    plots.curves_png(posixpath.join(_MODEL_DIR.value, 'logs'),
                     posixpath.join(out, 'curves.png'),
                     best_epoch=best and best['epoch'])
    print(f'wrote {out}/curves.png')
    if melspec:
      spectrogram, rate, title = melspec
      plots.melspec_png(spectrogram, posixpath.join(out, 'melspec.png'),
                        sample_rate=rate, title=title)
      print(f'wrote {out}/melspec.png')
  except ValueError as e:
    raise app.UsageError(str(e))
  except audio.AudioError as e:
    raise app.UsageError(f'--audio={_AUDIO.value}: {e}')


def _melspec(path):
  """(spectrogram, sample rate, title) of the tape's --window."""
  model, meta = export.load_exported(_MODEL_DIR.value)
  rate = meta['sample_rate']
  silent = []
  for i, (offsets, windows) in enumerate(predict_lib.heard_batches(
      path, meta, silent, trim_seconds=_TRIM_SECONDS.value, hop_seconds=0.0,
      batch_size=1)):
    if i == _WINDOW.value:
      return (plots.model_melspec(model, windows[0]), rate,
              f'{posixpath.basename(path)} at '
              f'{offsets[0] / rate:.0f} s, as the model sees it')
  skipped = f' ({len(silent)} silent windows skipped)' if silent else ''
  raise ValueError(f'{path} has no window {_WINDOW.value}{skipped}')

if __name__ == '__main__':
  cli.run(main)
