"""`dataset_info.json`: the one description of a records directory.

The records builder writes it last (so its presence means a finished build);
the input pipeline, training, evaluation, the baselines, export, the
benchmarks and `verify_records` read it. This module owns its name, its
fields and the questions asked of it, as `features.py` owns the record
(what a model trained on the records keeps of them, and the questions
asked with that, are `provenance`'s):

  info = dataset_info.read(data_dir)
  dataset_info.split_files(data_dir, info, 'train')
  dataset_info.windows_per_era(info, 'train')   # in era (label) order

Fields: `eras` (label order), `era_years`, `sample_rate`, `window_samples`,
`hop_samples`, `trim_seconds`, `silence_peak` (windows within ±it were
dropped as digital silence; absent from records built before 2026-11-27,
which used the default, `audio.SILENCE_PEAK`), `waveform_encoding`,
`compression`,
`split_by`, `folds`, `splits` (per split: `windows`, `tapes`, `hours`,
`windows_per_era`, `tapes_per_era`, `tape_ids`, `groups`, `files`),
`failures` (each `path`, `reason`, `detail`; a tape that failed while
being decoded also has `windows_kept`, the windows decoded before the
failure, which are in its split unless digital silence; a tape read whole
whose every window was digital silence is `silent`), `failure_counts`
(per reason, over `failures`), `source`, `created`.
"""

import collections
import hashlib
import json
import posixpath

import tensorflow as tf

from jazzcnn import audio
from jazzcnn import errors
from jazzcnn import naming

FILE = 'dataset_info.json'
SPLITS = naming.SPLITS

class WindowCountError(errors.DataError):
  """A full pass read another number of windows than the split lists."""


def path(data_dir):
  return posixpath.join(data_dir, FILE)


def read(data_dir):
  """The dict of `data_dir/dataset_info.json` (local or gs://).

  Raises:
    ValueError: when `data_dir` holds no finished build.
  """
  if not tf.io.gfile.exists(path(data_dir)):
    raise ValueError(f'{path(data_dir)} not found: build records into '
                     f'{data_dir} first (python -m beam_pipelines.build_records)')
  with tf.io.gfile.GFile(path(data_dir)) as f:
    return json.load(f)


def dumps(info):
  return json.dumps(info, indent=1)


def make(*, eras, era_years, sample_rate, window_samples, hop_samples,
         trim_seconds, splits, silence_peak=audio.SILENCE_PEAK,
         compression='', split_by='tape', folds=None, failures=(), source='',
         created=''):
  """The dict to write, from its parts (see the module docstring).

  `splits` maps each split to `split_entry(...)`.
  """
  failures = sorted(failures, key=lambda f: (f['path'], f['reason']))
  counts = dict(collections.Counter(f['reason'] for f in failures))
  return {
      'eras': list(eras), 'era_years': era_years, 'sample_rate': sample_rate,
      'window_samples': window_samples, 'hop_samples': hop_samples,
      'trim_seconds': trim_seconds, 'silence_peak': silence_peak,
      'waveform_encoding': 'int16le',
      'compression': compression or '', 'split_by': split_by, 'folds': folds,
      'splits': splits, 'failures': failures, 'failure_counts': counts,
      'source': source, 'created': created,
  }


def skipped_and_cut_short(info):
  """({reason: files}, {reason: tapes}): files that gave no window, and tapes
  that failed part-way, whose windows before the failure are in the records
  (a tape whose kept windows were all digital silence gave none)."""
  written = {t for split in info['splits'].values()
             for t in split.get('tape_ids', ())}
  skipped, cut = collections.Counter(), collections.Counter()
  for f in info['failures']:
    kept = f.get('windows_kept', 0) and naming.tape_id(f['path']) in written
    (cut if kept else skipped)[f['reason']] += 1
  return dict(skipped), dict(cut)


def split_entry(*, eras, files, windows_per_label, tape_labels, group_of,
                seconds_per_window):
  """One split's entry.

  Args:
    eras: era names in label order.
    files: shard names in the split's order.
    windows_per_label: {label index: windows}.
    tape_labels: {tape id: label index} of the split's tapes.
    group_of: (tape id, era name) → its resampling group.
    seconds_per_window: window length in seconds.
  """
  windows = sum(windows_per_label.values())
  return {
      'windows': windows,
      'tapes': len(tape_labels),
      'hours': round(windows * seconds_per_window / 3600, 4),
      'windows_per_era': {n: windows_per_label.get(i, 0)
                          for i, n in enumerate(eras)},
      'tapes_per_era': {n: sum(1 for v in tape_labels.values() if v == i)
                        for i, n in enumerate(eras)},
      'tape_ids': sorted(tape_labels),
      'groups': sorted({group_of(t, eras[label])
                        for t, label in tape_labels.items()}),
      'files': list(files),
  }


def split_files(data_dir, info, split):
  """The shard paths of `split`; raises ValueError if it has no windows."""
  entry = info['splits'].get(split)
  if not entry or not entry['windows'] or not entry['files']:
    raise ValueError(f'split {split!r} of {data_dir} is empty; rebuild with '
                     'more tapes or other --split_fractions')
  return [posixpath.join(data_dir, name) for name in entry['files']]


def windows(info, split):
  return info['splits'][split]['windows']


def windows_per_era(info, split):
  """The split's window counts as a list in era (label) order."""
  counts = info['splits'][split]['windows_per_era']
  return [counts.get(era, 0) for era in info['eras']]


def check_learnable(data_dir, info, split='train'):
  """Raises DataError unless `split` holds windows of two or more eras.

  Fitted on one era, a classifier (the model, a baseline's head) learns to
  say that era, whatever it hears; training "succeeds" and means nothing.
  Tapes whose years all fall in one era, or a split by artist of a small
  corpus, build such records.
  """
  present = [era for era, count in zip(info['eras'],
                                       windows_per_era(info, split)) if count]
  if len(present) == 1:
    raise errors.DataError(
        f'the {split} split of {data_dir} holds windows of one era only '
        f'({present[0]}): a classifier learns from two or more (tapes of '
        'other eras; for a small corpus, build with --folds=5 --fold=I)')


def absent_eras(info):
  """The eras of which no split holds a window (no tape of theirs)."""
  held = [windows_per_era(info, split) for split in info['splits']]
  return [era for i, era in enumerate(info['eras'])
          if not any(counts[i] for counts in held)]


def missing_eras(info, splits=SPLITS, ignore=()):
  """'SPLIT lacks E1, E2' for each listed split that lacks eras, leaving
  out the eras in `ignore`.

  A split by artist (`split_by`) can put every tape of an era with few
  artists in one split: a model cannot learn an era train lacks, and a test
  split without it scores the others only.
  """
  lines = []
  for split in splits:
    if split in info['splits']:
      lacking = [era for era, count in zip(info['eras'],
                                           windows_per_era(info, split))
                 if not count and era not in ignore]
      if lacking:
        lines.append(f'{split} lacks {", ".join(lacking)}')
  return lines


def split_tapes(info):
  """12 hex digits naming which tapes, and how many windows, each split
  holds: the same for a rebuild of the same tapes and split, another for
  another fold, corpus or windowing."""
  splits = {s: [e['tape_ids'], e['windows']]
            for s, e in info.get('splits', {}).items()}
  digest = hashlib.sha256(json.dumps(splits, sort_keys=True).encode())
  return digest.hexdigest()[:12]


def silence_peak(info):
  """The digital-silence threshold the records were built with
  (`audio.is_silent`): the default where they predate the field. Also of
  an exported model's eras.json, which holds the same entry."""
  return info.get('silence_peak', audio.SILENCE_PEAK)


def check_windows(info, split, read_windows, data_dir=''):
  """Raises WindowCountError unless a full pass read every listed window."""
  listed = windows(info, split)
  if read_windows != listed:
    raise WindowCountError(
        f'{split} split: read {read_windows} windows where {FILE} lists '
        f'{listed}: a shard was truncated or replaced after the build; '
        f'check with python -m jazzcnn.verify_records --data_dir={data_dir}')
