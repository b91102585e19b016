"""The same recording in two splits of a records directory.

  found = duplicates_lib.find(data_dir, info)   # [Match], what
  duplicates_lib.by_tape(found)                  # `duplicates` prints

The builder keeps each artist's tapes of an era in one split, matched by
name. A recording that two tapes hold (a compilation and an artist's own
tape; one piece filed under two titles) can still be heard in training and
scored in test, and every held-out score is then too high. This finds
such windows by their audio: each window is fingerprinted with audfprint's
landmarks (Ellis, the `audfprint2` package: pairs of spectral peaks, hashed
with their frequencies and time gap, which survive another encoding, gain
or trim), the train windows (then the validation windows) go into one hash
table, and each validation and test window is matched against the windows
of the splits before it. A match is `min_hashes` or more landmarks in
common at one time shift (audfprint's test; the count it then reports adds
the shifts one frame either side).
"""

import collections
import dataclasses
import logging

import numpy as np
import soxr

# Importing audfprint2 calls logging.basicConfig (a stderr handler at INFO on
# the root logger): undone, so that importing this leaves logging as it was.
_ROOT = logging.getLogger()
_BEFORE = list(_ROOT.handlers), _ROOT.level
# pylint: disable=g-import-not-at-top,g-bad-import-order
from audfprint2.core import analyzer
from audfprint2.core import hash_table
from audfprint2.core import matcher
# pylint: enable=g-import-not-at-top,g-bad-import-order
_ROOT.handlers[:] = _BEFORE[0]
_ROOT.setLevel(_BEFORE[1])

from jazzcnn import dataset_info
from jazzcnn import errors
from jazzcnn import features
from jazzcnn import records_check

# audfprint's analysis rate; its frames hop by analyzer.N_HOP (256: 23 ms).
SAMPLE_RATE = 11025
# Landmarks two 15 s windows share at one time shift for both to hold the
# same recording. In the soundtracks corpus (BENCHMARKS.md, "The same
# recording in two splits"), windows whose audio correlates 0.85-1.0 share
# 20-273 (reported counts); windows correlating 0.63 or less, 11 or fewer.
MIN_HASHES = 15


@dataclasses.dataclass(frozen=True)
class Window:
  split: str
  tape: str
  seconds: float  # Its start in the decoded tape.


@dataclasses.dataclass(frozen=True)
class Match:
  """A held-out window that holds the audio of an earlier split's window."""
  window: Window
  earlier: Window
  hashes: int  # Landmarks in common at the best shift, +-1 frame.
  # This window's start lies at earlier.seconds + shift_seconds in the
  # earlier tape.
  shift_seconds: float


class Fingerprinter:
  """Landmark hashes of int16 windows at one sample rate."""

  def __init__(self, sample_rate):
    self._sample_rate = sample_rate
    self._analyzer = analyzer.Analyzer()

  def __call__(self, pcm):
    """[n, 2] int32 (frame, hash) pairs of one window, frames from its
    start; distinct pairs only."""
    audio = soxr.resample(np.asarray(pcm, np.float32) / 32768.0,
                          self._sample_rate, SAMPLE_RATE)
    peaks = self._analyzer.find_peaks(audio, SAMPLE_RATE)
    landmarks = self._analyzer.peaks2landmarks(peaks)
    if not landmarks:
      return np.zeros((0, 2), np.int32)
    return np.unique(analyzer.landmarks2hashes(landmarks), axis=0)


def splits(info):
  """The splits of `info` that hold windows, in `dataset_info.SPLITS`'
  order: the order they are checked in, each against those before it."""
  return [s for s in dataset_info.SPLITS
          if info['splits'].get(s, {}).get('windows')]


def frames(info):
  """Analysis frames in one window of `info`'s records."""
  return int(info['window_samples'] / info['sample_rate'] * SAMPLE_RATE
             ) // analyzer.N_HOP + 1


def windows(data_dir, info, split):
  """(tape id, start in seconds, int16 PCM) of each window of `split`.

  Raises:
    records_check.CorruptRecords: naming a damaged shard.
    dataset_info.WindowCountError: when a pass reads another number of
      windows than dataset_info.json lists.
  """
  for batch in records_check.full_pass(
      data_dir, info, split, batch_size=64,
      keys=(features.WAVEFORM, features.TAPE_ID, features.OFFSET)):
    tapes = batch[features.TAPE_ID].numpy()
    offsets = batch[features.OFFSET].numpy()
    for i, pcm in enumerate(batch[features.WAVEFORM].numpy()):
      yield tapes[i].decode(), offsets[i] / info['sample_rate'], pcm


def find(data_dir, info, *, min_hashes=MIN_HASHES, progress=None):
  """Every validation and test window whose audio an earlier split holds.

  Args:
    data_dir, info: the records and their dataset_info.json.
    min_hashes: landmarks in common at one shift that make a match.
    progress: None, or called with each window's split once it is done.

  Returns:
    [Match], each held-out window's best match per earlier tape, in
    reading order.
  """
  # Frames count from each window's start, so its frames' bits suffice.
  table = hash_table.HashTable(hashbits=20, depth=100,
                               maxtime=1 << frames(info).bit_length())
  # Windows are stored under their index. audfprint's names are looked up
  # in a list (quadratic in windows), so its per-id counts are sized here.
  order = splits(info)
  stored_windows = sum(dataset_info.windows(info, s) for s in order[:-1])
  if stored_windows >= 1 << (32 - table.maxtimebits):  # Ids share 32 bits.
    raise errors.DataError(f'{stored_windows} train and validation windows '
                           'are more than one table holds: check records of '
                           'fewer tapes')
  table.hashesperid = np.zeros(stored_windows, np.uint32)
  match = matcher.Matcher()
  match.threshcount = min_hashes - 1  # audfprint keeps counts above it.
  fingerprint = Fingerprinter(info['sample_rate'])
  stored, found = [], []
  for split in order:
    for tape, seconds, pcm in windows(data_dir, info, split):
      window, hashes = Window(split, tape, float(seconds)), fingerprint(pcm)
      if stored and len(hashes):
        found += _matches(window, match.match_hashes(table, hashes), stored)
      if split != order[-1]:
        table.store(len(stored), hashes.tolist())
        stored.append(window)
      if progress:
        progress(split)
  return found


def _matches(window, results, stored):
  """The best Match per earlier tape from audfprint's results."""
  best = {}
  for row in results:  # id, hashes at the mode, shift, ... by hashes.
    earlier = stored[row[0]]
    if earlier.split != window.split and earlier.tape not in best:
      best[earlier.tape] = Match(window, earlier, int(row[1]),
                                 float(row[2]) * analyzer.N_HOP / SAMPLE_RATE)
  return list(best.values())


def by_tape(matches):
  """One dict per (held-out tape, earlier tape) pair that share audio:
  `split`, `tape`, `earlier_split`, `earlier_tape`, `windows` (how many of
  the tape's windows hold the earlier tape's audio) and `hashes` (the most
  landmarks one window shares); in reading order."""
  pairs = collections.OrderedDict()
  for m in matches:
    key = (m.window.split, m.window.tape, m.earlier.split, m.earlier.tape)
    entry = pairs.setdefault(key, {'split': key[0], 'tape': key[1],
                                   'earlier_split': key[2],
                                   'earlier_tape': key[3], 'windows': set(),
                                   'hashes': 0})
    entry['windows'].add(m.window.seconds)
    entry['hashes'] = max(entry['hashes'], m.hashes)
  return [dict(e, windows=len(e['windows'])) for e in pairs.values()]
