"""Checks records against dataset_info.json: every shard, every record.

  report = records_check.check(data_dir, info)   # what verify_records prints

A shard is read on its own, so a CRC or length error names its file and the
record where it stops; each record must parse, hold `window_samples`
samples, and carry a label, era name and tape id that dataset_info.json
lists for its split; the windows counted per era must match.
"""

import collections
import posixpath
import re
import struct

import tensorflow as tf

from jazzcnn import dataset_info
from jazzcnn import errors
from jazzcnn import features
from jazzcnn import input_pipeline

_KEYS = (features.WAVEFORM, features.LABEL, features.ERA, features.TAPE_ID)


class CorruptRecords(errors.DataError):
  """A shard that cannot be read to its end."""


def shard_problems(path, info, split, counts):
  """Problems of one shard (strings); adds its windows to `counts` by era."""
  problems, broken = _scan(path, info, split, counts)
  if broken:
    return problems + [broken]
  if not problems and not info.get('compression'):
    problems += _framing_problems(path, posixpath.basename(path))
  return problems


def _scan(path, info, split, counts):
  """(problems of its records, why the shard cannot be read on, or None)."""
  spec = {k: features.FEATURES[k] for k in _KEYS}
  ds = tf.data.TFRecordDataset(path, info.get('compression') or None)
  ds = ds.map(lambda s: tf.io.parse_single_example(s, spec)).batch(64)
  eras, tapes = info['eras'], set(info['splits'][split].get('tape_ids', ()))
  name, problems, record = posixpath.basename(path), [], 0
  try:
    for batch in ds:
      lengths = tf.strings.length(batch[features.WAVEFORM]).numpy()
      for i, label in enumerate(batch[features.LABEL].numpy()):
        where = f'{name} record {record}'
        era = batch[features.ERA][i].numpy().decode()
        tape = batch[features.TAPE_ID][i].numpy().decode()
        if lengths[i] != 2 * info['window_samples']:
          problems.append(f'{where}: {lengths[i] // 2} samples, not '
                          f"{info['window_samples']}")
        if not 0 <= label < len(eras) or eras[label] != era:
          problems.append(f'{where}: label {label} with era {era!r}, not '
                          f'one of {eras}')
        elif tapes and tape not in tapes:
          problems.append(f'{where}: tape {tape!r} is not a {split} tape')
        else:
          counts[era] += 1
        record += 1
  except tf.errors.DataLossError as e:
    return problems, f'{name}: unreadable ({_first_line(e)})'
  except tf.errors.InvalidArgumentError as e:
    return problems, (f'{name}: record {record} onwards is not a window '
                      f'record ({_first_line(e)})')
  return problems, None


def _framing_problems(path, name):
  """A shard that ends inside a record: tf.data may stop there in silence."""
  size, offset, record = tf.io.gfile.stat(path).length, 0, 0
  with tf.io.gfile.GFile(path, 'rb') as f:
    while offset < size:  # length (8), its CRC (4), data, data's CRC (4).
      f.seek(offset)
      header = f.read(12)
      end = (offset + 16 + struct.unpack('<Q', header[:8])[0]
             if len(header) == 12 else size + 1)
      if end > size:
        return [f'{name}: cut short inside record {record} (the file ends '
                f'at byte {size})']
      offset, record = end, record + 1
  return []


def check(data_dir, info, progress=None):
  """{split: {'windows': counted, 'listed': listed, 'problems': [...]}}.

  Args:
    data_dir: the records directory.
    info: its dataset_info.json.
    progress: optional callable, called with each shard's path before it is
      read (a progress bar's update).
  """
  report = {}
  for split in dataset_info.SPLITS:
    if split not in info['splits']:
      continue
    counts, problems = collections.Counter(), []
    for name in info['splits'][split]['files']:
      path = posixpath.join(data_dir, name)
      if progress:
        progress(path)
      if not tf.io.gfile.exists(path):
        problems.append(f'{name}: missing')
        continue
      problems += shard_problems(path, info, split, counts)
    listed = dict(zip(info['eras'], dataset_info.windows_per_era(info, split)))
    for era, n in listed.items():
      if counts[era] != n:
        problems.append(f'{split}: {counts[era]} {era} windows read where '
                        f'{dataset_info.FILE} lists {n}')
    report[split] = {'windows': int(sum(counts.values())),
                     'listed': dataset_info.windows(info, split),
                     'problems': problems}
  return report


def full_pass(data_dir, info, split, *, keys, batch_size):
  """The batches (dicts of `keys`) of one deterministic pass over `split`,
  checked as they are read.

  Raises:
    CorruptRecords: naming the damaged shard.
    dataset_info.WindowCountError: once the pass has read another number of
      windows than dataset_info.json lists (a shard cut short).
  """
  ds = input_pipeline.create_dataset(data_dir, split, info=info,
                                     batch_size=batch_size, training=False,
                                     keys=keys)
  read = 0
  try:
    for batch in ds:
      read += len(batch[keys[0]])
      yield batch
  except tf.errors.DataLossError:
    raise first_corruption(data_dir, info, [split]) from None
  dataset_info.check_windows(info, split, read, data_dir)


def first_corruption(data_dir, info, splits):
  """A CorruptRecords naming the first shard of `splits` that cannot be read.

  For turning tf.data's DataLossError, which names no file, into a message
  that does. Shards are re-read one by one until one fails.
  """
  for split in splits:
    for name in info['splits'][split]['files']:
      path = posixpath.join(data_dir, name)
      _, broken = _scan(path, info, split, collections.Counter())
      if broken:
        return CorruptRecords(
            f'{broken}: the shard is damaged; python -m '
            f'jazzcnn.verify_records --data_dir={data_dir} checks them all')
  return CorruptRecords(f'records in {data_dir} could not be read; python -m '
                        f'jazzcnn.verify_records --data_dir={data_dir}')


def _first_line(error):
  """tf.data's message without its op names: 'truncated record at 32153'."""
  text = str(getattr(error, 'message', error)).strip().splitlines()[0]
  text = re.sub(r'\{\{[^}]*\}\}\s*', '', text)
  return re.sub(r"'? failed with .*| \[Op:.*", '', text).strip()[:200]
