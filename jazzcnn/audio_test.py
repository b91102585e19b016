"""Tests for the streaming decoder on real files of every supported format."""

import dataclasses
import io
import os
import re
import tracemalloc

import numpy as np
import pytest
import soundfile

from beam_pipelines import demo_tapes_lib
import conftest
from jazzcnn import audio
from jazzcnn import naming


def _write(path, x, rate, channels=1):
  demo_tapes_lib.write_audio(str(path), np.asarray(x, np.float32), rate,
                             channels)
  return str(path)


def _windows(path, windowing):
  with open(path, 'rb') as f:
    return list(audio.stream_windows(f, windowing, block_frames=1000))


def test_windows_hold_the_samples_at_their_offsets(tmp_path):
  # A ramp makes every sample's position readable from its value.
  rate = 16000
  x = (np.arange(10 * rate) % 20000 - 10000).astype(np.int16)
  path = str(tmp_path / 'ramp.wav')
  soundfile.write(path, x, rate, subtype='PCM_16')
  w = audio.Windowing(sample_rate=rate, window=16000, hop=8000, trim=4000)
  got = _windows(path, w)
  # Usable: 160000 - 8000 = 152000 samples; (152000 - 16000) // 8000 + 1.
  assert [o for o, _ in got] == [4000 + 8000 * i for i in range(18)]
  for offset, window in got:  # 16-bit PCM at the output rate: bit-exact.
    assert window.dtype == np.int16 and window.shape == (16000,)
    np.testing.assert_array_equal(window, x[offset:offset + 16000])
  assert got[-1][0] + 16000 <= len(x) - 4000  # The end trim holds.


def test_stereo_44k_is_mixed_and_resampled(tmp_path):
  rate = 44100
  t = np.arange(3 * rate) / rate
  tone = np.sin(2 * np.pi * 1000 * t)
  path = str(tmp_path / 'tone.flac')
  soundfile.write(path, np.stack([0.5 * tone, 0.3 * tone], axis=1), rate)
  w = audio.Windowing(sample_rate=16000, window=16000, hop=16000, trim=0)
  got = _windows(path, w)
  assert len(got) == 3
  _, window = got[1]
  spectrum = np.abs(np.fft.rfft(window.astype(np.float64)))
  assert np.argmax(spectrum) == pytest.approx(1000, abs=2)  # 1 Hz bins.
  # The mono mix of channels at 0.5 and 0.3 peaks at 0.4.
  assert np.abs(window).max() / 32768 == pytest.approx(0.4, abs=0.01)


# Opus encodes 8, 12, 16, 24 or 48 kHz only.
_FORMATS = ['wav', 'flac', 'mp3', 'ogg', 'aiff', 'aif', 'opus']
_RATE = {'opus': 24000}


def test_the_formats_tested_are_those_decoded():
  assert sorted('.' + ext for ext in _FORMATS) == sorted(
      naming.AUDIO_EXTENSIONS)


@pytest.mark.parametrize('ext', _FORMATS)
def test_every_format_decodes(tmp_path, ext):
  rate = _RATE.get(ext, 22050)
  t = np.arange(4 * rate) / rate
  path = _write(tmp_path / f'a.{ext}', 0.3 * np.sin(2 * np.pi * 440 * t), rate)
  with open(path, 'rb') as f:
    info = audio.probe(f)
  assert info.sample_rate == rate
  w = audio.Windowing(sample_rate=16000, window=16000, hop=16000, trim=0)
  assert len(_windows(path, w)) == 4


def test_too_short_between_trims(tmp_path):
  path = _write(tmp_path / 'short.wav', np.zeros(3 * 16000) + 0.1, 16000)
  w = audio.Windowing(sample_rate=16000, window=16000, hop=16000, trim=16001)
  with pytest.raises(audio.AudioError) as e:
    _windows(path, w)
  assert str(e.value) == ('too_short: 3.0 s leaves no 1 s window once '
                          '1.00006 s are trimmed from each end')
  with pytest.raises(audio.AudioError) as e:  # No trim to name.
    _windows(path, dataclasses.replace(w, window=4 * 16000, trim=0))
  assert str(e.value) == 'too_short: 3.0 s leaves no 4 s window'


@pytest.mark.parametrize('ext', _FORMATS)
def test_probe_finds_truncated_files(tmp_path, ext):
  rate = _RATE.get(ext, 22050)
  t = np.arange(20 * rate) / rate
  path = _write(tmp_path / f'a.{ext}', 0.3 * np.sin(2 * np.pi * 440 * t), rate)
  data = open(path, 'rb').read()
  cut = tmp_path / f'cut.{ext}'
  cut.write_bytes(data[:len(data) // 2])
  with open(cut, 'rb') as f, pytest.raises(audio.AudioError) as e:
    audio.probe(f)
  assert e.value.reason == audio.TRUNCATED
  if ext == 'wav':  # libsndfile's own line, with the sizes, not a fragment.
    assert re.search(r'reports "RIFF : \d+ \(should be \d+\)"',
                     str(e.value)), e.value


@pytest.mark.parametrize('content,reason', [
    (b'', audio.UNREADABLE),
    (b'<html>not found</html>' * 100, audio.UNREADABLE),
    (os.urandom(5000), audio.UNREADABLE),
])
def test_probe_rejects_non_audio(tmp_path, content, reason):
  path = tmp_path / 'x.mp3'
  path.write_bytes(content)
  with open(path, 'rb') as f, pytest.raises(audio.AudioError) as e:
    audio.probe(f)
  assert e.value.reason == reason


def test_probe_rejects_header_only_wav(tmp_path):
  path = tmp_path / 'empty.wav'
  soundfile.write(str(path), np.zeros((0, 1), np.float32), 16000)
  with open(path, 'rb') as f, pytest.raises(audio.AudioError) as e:
    audio.probe(f)
  assert e.value.reason == audio.EMPTY


def _tone_file(tmp_path, ext, seconds=20):
  rate = 22050
  t = np.arange(seconds * rate) / rate
  path = _write(tmp_path / f'a.{ext}', 0.3 * np.sin(2 * np.pi * 440 * t), rate)
  return open(path, 'rb').read()


@pytest.mark.parametrize('ext', ['wav', 'mp3'])
@pytest.mark.parametrize('fail_at', [0, 100, -1000])
def test_a_failed_read_is_named_not_taken_for_bad_audio(tmp_path, ext,
                                                        fail_at):
  # Reads fail in the header, at the first block and in the last block:
  # libsndfile would see an end of file and call the tape unreadable or
  # truncated. The reason is the read's.
  data = _tone_file(tmp_path, ext)
  with pytest.raises(audio.AudioError) as e:
    audio.probe(conftest.FailingReader(data, fail_at % len(data)))
  assert e.value.reason == audio.READ_ERROR
  assert str(e.value) == 'read_error: [Errno 5] Input/output error'


def test_a_read_failing_part_way_is_not_a_shorter_tape(tmp_path):
  data = _tone_file(tmp_path, 'wav')
  w = audio.Windowing(sample_rate=16000, window=16000, hop=16000, trim=0)
  assert len(list(audio.stream_windows(io.BytesIO(data), w))) == 20
  got = []
  with pytest.raises(audio.AudioError) as e:
    reader = conftest.FailingReader(data, len(data) // 2)
    for item in audio.stream_windows(reader, w, block_frames=4096):
      got.append(item)
  assert e.value.reason == audio.READ_ERROR
  assert 'Input/output error' in str(e.value)
  assert 5 <= len(got) <= 11  # What came before the failure, and no more.


@pytest.mark.parametrize('bad', [np.nan, np.inf, -np.inf])
def test_a_sample_that_is_not_a_number_fails_where_it_is(tmp_path, bad):
  # A float WAV at 8 kHz (resampled), stereo, bad in one channel at 4.5 s:
  # the windows before it come out whole, then the tape fails there.
  rate = 8000
  x = 0.3 * np.sin(np.arange(10 * rate) / 7.0)
  x = np.stack([x, x], axis=1).astype(np.float32)
  x[int(4.5 * rate), 1] = bad
  path = str(tmp_path / 'damaged.wav')
  soundfile.write(path, x, rate, subtype='FLOAT')
  w = audio.Windowing(sample_rate=16000, window=16000, hop=16000, trim=0)
  with pytest.raises(audio.AudioError) as e:
    got = []
    for item in audio.stream_windows(open(path, 'rb'), w, block_frames=1000):
      got.append(item)
  assert e.value.reason == audio.DECODE_ERROR
  assert 'at 4.5 s: samples that are not numbers' in str(e.value)
  assert [o for o, _ in got] == [0, 16000, 32000, 48000]  # Up to 4 s.
  x[int(4.5 * rate), 1] = 0
  soundfile.write(path, x, rate, subtype='FLOAT')
  assert len(_windows(path, w)) == 10


def _peak_bytes_decoding(path, windowing):
  tracemalloc.start()
  try:
    with open(path, 'rb') as f:
      count = sum(1 for _ in audio.stream_windows(f, windowing))
    return tracemalloc.get_traced_memory()[1], count
  finally:
    tracemalloc.stop()


def test_memory_does_not_grow_with_tape_length(tmp_path):
  # 2 and 20 minutes of 8 kHz stereo: numpy arrays are traced by tracemalloc,
  # so the peak covers every block, resampler output and window buffer.
  rate = 8000
  rng = np.random.default_rng(0)
  paths = []
  for minutes in (2, 20):
    path = str(tmp_path / f'{minutes}.flac')
    with soundfile.SoundFile(path, 'w', rate, 2) as f:
      for _ in range(minutes * 6):
        f.write(rng.uniform(-0.5, 0.5, (10 * rate, 2)).astype(np.float32))
    paths.append(path)
  w = audio.Windowing(sample_rate=16000, window=240000, hop=240000, trim=0)
  (short_peak, short_n), (long_peak, long_n) = [
      _peak_bytes_decoding(p, w) for p in paths]
  assert (short_n, long_n) == (8, 80)
  assert long_peak < 1.2 * short_peak, (short_peak, long_peak)


def test_silence_is_every_sample_within_the_peak():
  assert audio.is_silent(np.zeros(8, np.int16))
  assert audio.is_silent(np.array([1, -1, 0], np.int16), peak=1)
  assert not audio.is_silent(np.array([2, 0], np.int16), peak=1)
  assert not audio.is_silent(np.array([0, -2], np.int16), peak=1)
  # Full-scale negative: abs() of int16 -32768 wraps to itself.
  assert not audio.is_silent(np.array([-32768, 0], np.int16), peak=1)
  assert not audio.is_silent(np.zeros(8, np.int16), peak=-1)  # Keeps all.
