"""Streaming audio decoding: any file → mono 16 kHz int16 windows, block by block.

Shared by the records builder and `predict`, so a tape is heard the same way
in training and in use. Memory is bounded by one window plus one block,
whatever the tape's length.
"""

import dataclasses
import os

import numpy as np
import soundfile
import soxr

# Reasons a file is skipped; they name the failure in dataset_info.json.
UNREADABLE = 'unreadable'  # Not audio, or a format libsndfile cannot open.
EMPTY = 'empty'  # Audio with no frames.
TRUNCATED = 'truncated'  # The file ends before its header says it does.
TOO_SHORT = 'too_short'  # No whole window between the trims.
DECODE_ERROR = 'decode_error'  # Decoding failed part-way through.
READ_ERROR = 'read_error'  # Reading the file failed (a disk, a bucket).
SILENT = 'silent'  # Every window is digital silence (builder, `predict`).

# Windows whose int16 samples all lie within ±this are digital silence: the
# records builder drops them (--silence_peak), and `predict` skips them, as
# a model trained on those records never heard one. -1 keeps every window.
SILENCE_PEAK = 1

# libsndfile's log lines for files cut short that it otherwise opens happily.
_TRUNCATION_MARKERS = ('should be', 'lacks an end-of-stream', 'Junk after')


class AudioError(Exception):
  """A file that cannot be used, with a short machine-readable `reason`."""

  def __init__(self, reason, message):
    super().__init__(f'{reason}: {message}')
    self.reason = reason


class _Reads:
  """The file object libsndfile reads through, keeping the first failure.

  soundfile reads through callbacks from C. An exception raised in one is
  printed with its traceback and dropped, and libsndfile sees an end of
  file, so a failed read would pass for bad audio or a shorter tape.
  `check` raises it instead, as AudioError(READ_ERROR).
  """

  def __init__(self, fileobj):
    self._file = fileobj
    self._readinto = getattr(fileobj, 'readinto', None)  # Spares a copy.
    self._error = None

  def readinto(self, buffer):
    if self._error is None:
      try:
        if self._readinto:
          return self._readinto(buffer)
        data = self._file.read(len(buffer))  # tf.io.gfile.GFile.
        buffer[:len(data)] = data
        return len(data)
      except Exception as e:  # pylint: disable=broad-except
        self._error = e  # OSError, tf.errors.OpError, a client's own.
    return 0

  def seek(self, offset, whence=os.SEEK_SET):
    if self._error is None:
      try:
        self._file.seek(offset, whence)
      except Exception as e:  # pylint: disable=broad-except
        self._error = e
    return self.tell()

  def tell(self):
    if self._error is None:
      try:
        return self._file.tell()
      except Exception as e:  # pylint: disable=broad-except
        self._error = e
    return -1

  def check(self, at_seconds=None):
    """Raises AudioError(READ_ERROR) if a read or seek has failed, `at_seconds`
    into the decoded tape when given."""
    if self._error is not None:
      where = '' if at_seconds is None else f'at {at_seconds:.1f} s: '
      reason = getattr(self._error, 'message', None) or str(self._error)
      raise AudioError(READ_ERROR, where + reason) from self._error


@dataclasses.dataclass(frozen=True)
class AudioInfo:
  sample_rate: int
  channels: int
  frames: int
  format: str

  @property
  def seconds(self):
    return self.frames / self.sample_rate


@dataclasses.dataclass(frozen=True)
class Windowing:
  """How a decoded tape is cut into windows, all in output samples."""
  sample_rate: int = 16000
  window: int = 240000
  hop: int = 240000
  trim: int = 0  # Dropped at each end of the tape.

  @classmethod
  def from_seconds(cls, *, sample_rate, window_seconds, hop_seconds,
                   trim_seconds):
    """Raises ValueError naming the first setting out of range."""
    windowing = cls(sample_rate, round(window_seconds * sample_rate),
                    round(hop_seconds * sample_rate),
                    round(trim_seconds * sample_rate))
    for ok, message in ((sample_rate > 0, f'sample rate {sample_rate} Hz'),
                        (windowing.window > 0, f'window {window_seconds} s'),
                        (windowing.hop > 0, f'hop {hop_seconds} s'),
                        (windowing.trim >= 0, f'trim {trim_seconds} s')):
      if not ok:
        raise ValueError(f'{message} is out of range: the sample rate, '
                         'window and hop must be > 0, the trim >= 0')
    return windowing

  def num_windows(self, info):
    """Windows that fit between the trims of a tape with this `AudioInfo`."""
    usable = self.output_length(info) - 2 * self.trim
    return 0 if usable < self.window else 1 + (usable - self.window) // self.hop

  def output_length(self, info):
    return info.frames * self.sample_rate // info.sample_rate

  def check_fits(self, info, hint=''):
    """Raises AudioError(TOO_SHORT), its text ending with `hint`, for a
    tape with no whole window between the trims (`num_windows`)."""
    if self.num_windows(info) == 0:
      trimmed = (f' once {self.trim / self.sample_rate:g} s are trimmed from '
                 'each end' if self.trim else '')
      raise AudioError(TOO_SHORT, f'{info.seconds:.1f} s leaves no '
                       f'{self.window / self.sample_rate:g} s window'
                       f'{trimmed}{hint}')


def probe(fileobj):
  """Opens a file and checks that it is whole audio, without decoding it.

  Reads the header, then seeks to the last block and reads it: a file cut
  short fails here, before a single window of it has been emitted.

  Args:
    fileobj: a seekable binary file object.

  Returns:
    The file's `AudioInfo`.

  Raises:
    AudioError: with reason UNREADABLE, EMPTY, TRUNCATED or READ_ERROR.
  """
  reads = _Reads(fileobj)
  try:
    with soundfile.SoundFile(reads) as f:
      info = AudioInfo(f.samplerate, f.channels, f.frames, f.format)
      if info.frames <= 0:
        raise AudioError(EMPTY, 'no audio frames')
      tail = min(info.frames, 4096)
      f.seek(info.frames - tail)
      got = len(f.read(tail, dtype='float32', always_2d=True))
      log = f.extra_info
  except AudioError:
    reads.check()  # A failed read explains what libsndfile saw.
    raise
  except (soundfile.LibsndfileError, RuntimeError, ValueError) as e:
    reads.check()
    if 'seek' in str(e):
      raise AudioError(TRUNCATED, f'cannot seek to the end: {_why(e)}') from e
    raise AudioError(UNREADABLE, _why(e)) from e
  reads.check()
  if got < tail:
    raise AudioError(TRUNCATED, f'read {got} of the last {tail} frames')
  for line in log.splitlines():  # Its own words: 'data : 3969000 (should
    if any(m in line for m in _TRUNCATION_MARKERS):  # be 4956)'.
      raise AudioError(TRUNCATED,
                       f'libsndfile reports "{" ".join(line.split())}"')
  return info


def is_silent(window, peak=SILENCE_PEAK):
  """Whether every int16 sample of `window` lies within ±peak (never for
  peak < 0). (Not by abs(): int16 has no +32768, so abs(-32768) wraps.)"""
  return peak >= 0 and int(window.max()) <= peak and int(window.min()) >= -peak


# Over 60 lines only with its docstring (every argument documented).
def stream_windows(fileobj, windowing, *, block_frames=1 << 16):
  """Decodes a file block by block into mono int16 windows.

  Mixes to mono, resamples with soxr's streaming resampler, skips
  `windowing.trim` samples at both ends and cuts windows at the hop; the
  short tail is dropped.

  Args:
    fileobj: a seekable binary file object.
    windowing: a `Windowing`.
    block_frames: input frames decoded at a time.

  Yields:
    (offset, window): the window's first sample in the decoded tape, and an
    int16 array of `windowing.window` samples.

  Raises:
    AudioError: TOO_SHORT when no window fits; DECODE_ERROR or READ_ERROR
      if decoding or reading fails part-way, or a sample is NaN or infinite
      (damaged float audio, which int16 cannot hold; windows already
      yielded are whole and stay valid).
  """
  w = windowing
  reads = _Reads(fileobj)
  try:
    f = soundfile.SoundFile(reads)
  except (soundfile.LibsndfileError, RuntimeError) as e:
    reads.check()
    raise AudioError(UNREADABLE, _why(e)) from e
  with f:
    info = AudioInfo(f.samplerate, f.channels, f.frames, f.format)
    w.check_fits(info)
    stop = w.output_length(info) - w.trim  # Windows end at or before this.
    # Seek past the leading trim instead of decoding it.
    start_frame = w.trim * info.sample_rate // w.sample_rate
    resampler = (None if info.sample_rate == w.sample_rate else
                 soxr.ResampleStream(info.sample_rate, w.sample_rate, 1,
                                     dtype='float32', quality='HQ'))
    # Mono as a matrix-vector product: 20x faster than mean(axis=1), a
    # strided reduction over 2 channels (BENCHMARKS.md).
    mix = np.full(info.channels, 1 / info.channels, np.float32)
    buf = np.zeros(0, np.float32)
    buf_start = w.trim  # Output index of buf[0].
    next_start = w.trim
    try:
      if start_frame:
        f.seek(start_frame)
      done = False
      while not done:
        block = f.read(block_frames, dtype='float32', always_2d=True)
        reads.check(buf_start / w.sample_rate)
        done = len(block) < block_frames
        mono = block @ mix if info.channels > 1 else block[:, 0]
        _check_finite(mono, f.tell() - len(block), info.sample_rate)
        if resampler is not None:
          mono = resampler.resample_chunk(mono, last=done)
        buf = np.concatenate([buf, mono])
        while next_start + w.window <= min(stop, buf_start + len(buf)):
          begin = next_start - buf_start
          yield next_start, _to_int16(buf[begin:begin + w.window])
          next_start += w.hop
        if next_start + w.window > stop:
          return
        drop = min(len(buf), next_start - buf_start)
        buf = buf[drop:]
        buf_start += drop
    except (soundfile.LibsndfileError, RuntimeError) as e:
      at_seconds = buf_start / w.sample_rate
      reads.check(at_seconds)
      raise AudioError(DECODE_ERROR,
                       f'at {at_seconds:.1f} s: {_why(e)}') from e


def _check_finite(mono, first_frame, sample_rate):
  """Raises DECODE_ERROR at the first NaN or infinite sample of `mono` (of
  any channel: the mix keeps them), which float WAV/AIFF can hold: cast to
  int16 they would become zeros, and the resampler would spread them."""
  if not np.isfinite(mono).all():  # 6 us a block; all(axis=1) took 900.
    at = (first_frame + int(np.argmin(np.isfinite(mono)))) / sample_rate
    raise AudioError(DECODE_ERROR, f'at {at:.1f} s: samples that are not '
                     'numbers (NaN or infinite): damaged float audio')


def _why(error):
  """libsndfile's reason, without the file object's repr around it."""
  return getattr(error, 'error_string', None) or str(error)


def _to_int16(x):
  # libsndfile reads int16 PCM as value / 32768: this scale is its inverse,
  # so 16-bit sources come through bit-exact.
  return np.clip(np.rint(x * 32768.0), -32768, 32767).astype(np.int16)
