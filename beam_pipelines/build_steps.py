"""The records builder's Beam steps: small pure functions, a counter each.

`build_records_lib` chains them: label → probe → decode → drop silence →
example → write shards. Each takes one element and yields its results, or a
failure (a dict with `path`, `reason`, `detail`) tagged 'failures', counted
in Beam metrics under `build_records`.
"""

import uuid

import apache_beam as beam
from apache_beam.transforms import window as beam_window
from apache_beam.utils import windowed_value

from beam_pipelines import fileio
from jazzcnn import audio
from jazzcnn import features
from jazzcnn import naming

DUPLICATE = 'duplicate'  # Same tape in another format, which was used.
UNDECODED = 'undecoded_format'  # Audio libsndfile cannot decode (AAC, WMA).
UNLISTED = 'unlisted'  # Not in the track list.
ERROR = 'error'  # Anything unexpected; the job goes on.
COUNTER_NAMESPACE = 'build_records'


def count(name, value=1):
  beam.metrics.Metrics.counter(COUNTER_NAMESPACE, name).inc(value)


def failure(path, reason, detail='', **fields):
  return {'path': path, 'reason': reason, 'detail': detail, **fields}


# Pipeline steps: small module functions, each one step and one counter.


def label_tape(path, *, tracklist, eras, split_by):
  """path → tape dict, or a failure for unlisted and unlabelled tapes."""
  tape = naming.tape_id(path)
  if tape not in tracklist:
    count(UNLISTED)
    yield beam.pvalue.TaggedOutput('failures', failure(
        path, UNLISTED, f'no row titled {tape!r} in the track list'))
    return
  label = naming.label(tape, tracklist[tape], eras)
  if label.era_index is None:
    count(label.status)
    yield beam.pvalue.TaggedOutput('failures', failure(
        path, label.status, naming.why_not_labelled(label, tracklist[tape])))
    return
  count('labelled_tapes')
  yield {'path': path, 'tape_id': tape, 'era': label.status,
         'label': label.era_index,
         'group': naming.split_key(tape, label.status, split_by)}


def probe(tape, *, windowing):
  """Checks that a tape is whole audio long enough for a window."""
  try:
    with fileio.open_read(tape['path']) as f:
      info = audio.probe(f)
    windowing.check_fits(info)
  except FileNotFoundError:  # Listed, but not there to open.
    count(audio.UNREADABLE)
    yield beam.pvalue.TaggedOutput('failures', failure(
        tape['path'], audio.UNREADABLE,
        'no such file: a link to nothing, or removed since it was listed'))
    return
  except audio.AudioError as e:
    count(e.reason)
    yield beam.pvalue.TaggedOutput('failures',
                                   failure(tape['path'], e.reason, str(e)))
    return
  except Exception as e:  # pylint: disable=broad-except
    count(ERROR)
    yield beam.pvalue.TaggedOutput('failures',
                                   failure(tape['path'], ERROR, repr(e)))
    return
  count('probed_tapes')
  yield dict(tape, seconds=info.seconds)


def decode(tape, *, windowing):
  """tape → (tape, offset, int16 window), streamed block by block.

  A tape that fails part-way keeps the windows before the failure; its
  failure says how many (`windows_kept`), and
  `dataset_info.skipped_and_cut_short` tells it from a file skipped whole.
  """
  kept = 0
  try:
    with fileio.open_read(tape['path']) as f:
      for offset, window in audio.stream_windows(f, windowing):
        count('decoded_windows')
        kept += 1
        yield tape, offset, window
  except audio.AudioError as e:
    count(e.reason)
    yield beam.pvalue.TaggedOutput('failures', failure(
        tape['path'], e.reason, str(e), windows_kept=kept))
  except Exception as e:  # pylint: disable=broad-except
    count(ERROR)
    yield beam.pvalue.TaggedOutput('failures', failure(
        tape['path'], ERROR, repr(e), windows_kept=kept))


def is_sound(item, *, silence_peak):
  """False for digital silence: no sample beyond ±silence_peak."""
  _, _, window = item
  if audio.is_silent(window, silence_peak):
    count('silent_windows')
    return False
  return True


def silent_tapes(probed, written, failures, *, silence_peak):
  """Failures for tapes read without error whose every window was digital
  silence, so that none reached the records (`probed`: (tape id, path)
  pairs; `written`: the tape ids in the records; `failures`: the others).
  Without this such a tape would vanish from the build unreported."""
  failed = {f['path'] for f in failures}
  out = [failure(path, audio.SILENT, 'every window is digital silence '
                 f'(no sample beyond ±{silence_peak})')
         for tape, path in sorted(probed)
         if tape not in written and path not in failed]
  if out:
    count(audio.SILENT, len(out))
  return out


def to_example(item, *, fractions, split_of):
  """(tape, offset, window) → (split, tape id, era index, serialized example).

  The split is `split_of[group]` when given (folds), else a hash of the group.
  """
  tape, offset, window = item
  count('examples')
  split = (split_of[tape['group']] if split_of else
           naming.assign_split(tape['group'], fractions))
  return (split, tape['tape_id'],
          tape['label'],
          features.make_example(window, label=tape['label'], era=tape['era'],
                                tape_id=tape['tape_id'], offset=offset))


class WriteShards(beam.DoFn):
  """Writes examples to temporary shards of at most `shard_bytes` per split.

  A train shard would otherwise hold one tape's windows in order (a 128 MB
  shard is about 270 windows of 15 s; a tape has about 360), so a reader
  mixing a few shards would fill each batch from a few tapes. Train windows
  therefore go round-robin to `train_shards_open` shards at once: each tape is
  spread over that many shards, and each shard mixes that many times more
  tapes. Validation and test keep one shard open (their order is irrelevant).

  Shards get their final names only in `_finalize`, after every shard is
  whole, so a failed run never leaves a partial shard under a final name.
  """

  def __init__(self, tmp_dir, *, shard_bytes, compression,
               train_shards_open=1):
    self._tmp_dir = tmp_dir
    self._shard_bytes = shard_bytes
    self._compression = compression
    self._train_shards_open = train_shards_open

  def start_bundle(self):
    self._open = {}  # (split, slot) → (writer, shard dict)
    self._written = {}  # split → examples so far in this bundle
    self._done = []

  def process(self, item):
    split, tape, label, example = item
    written = self._written.get(split, 0)
    self._written[split] = written + 1
    slot = written % (self._train_shards_open if split == 'train' else 1)
    writer, shard = self._open.get((split, slot)) or self._new_shard(
        split, slot)
    writer.write(example)
    shard['bytes'] += len(example)
    shard['windows_per_label'][label] = (
        shard['windows_per_label'].get(label, 0) + 1)
    shard['tapes'][tape] = label
    shard['first'] = min(shard['first'] or tape, tape)
    if shard['bytes'] >= self._shard_bytes:
      self._close((split, slot))

  def finish_bundle(self):
    for split in list(self._open):
      self._close(split)
    for shard in self._done:
      yield windowed_value.WindowedValue(
          shard, beam_window.GlobalWindow().max_timestamp(),
          [beam_window.GlobalWindow()])

  def _new_shard(self, split, slot):
    path = fileio.join(self._tmp_dir, f'{split}-{uuid.uuid4().hex}')
    writer = fileio.TFRecordWriter(path, self._compression)
    shard = {'split': split, 'path': path, 'bytes': 0,
             'windows_per_label': {}, 'tapes': {}, 'first': None}
    self._open[split, slot] = writer, shard
    return writer, shard

  def _close(self, key):
    writer, shard = self._open.pop(key)
    writer.close()
    count('shards')
    self._done.append(shard)
