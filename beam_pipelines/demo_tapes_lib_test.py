"""The synthetic demo: an era sounds the same whatever its file's rate;
any length of commentary works."""

import os

import numpy as np
import soundfile
import soxr

from beam_pipelines import demo_tapes_lib


def _band_powers(x, rate):
  """Power below and above 3.5 kHz after resampling to 16 kHz (the records)."""
  y = soxr.resample(x.astype(np.float64), rate, 16000)
  spectrum = np.abs(np.fft.rfft(y)) ** 2
  freqs = np.fft.rfftfreq(len(y), 1 / 16000)
  return spectrum[freqs < 3500].sum(), spectrum[freqs >= 3500].sum()


def test_a_tapes_spectrum_does_not_depend_on_its_file_rate():
  early = demo_tapes_lib.ERA_SOUNDS[0]  # Band-limited, with hiss and clicks.
  ratios = []
  for rate in (22050, 44100, 48000):
    x = demo_tapes_lib.synthesize(early, 9.0, rate, commentary_seconds=0.5,
                                  rng=np.random.default_rng(3))
    assert abs(len(x) - 9.0 * rate) <= 1
    music = x[rate:-rate]  # Past the commentary.
    low, high = _band_powers(music, rate)
    ratios.append(high / low)
  # The same tape at any rate keeps its balance of high to low energy (it
  # doubled at 22.05 kHz when tapes were rendered at their own rate).
  assert max(ratios) / min(ratios) < 1.1, ratios


def test_long_commentary_like_nivens_gives_every_tape(tmp_path):
  # Tapes of 12 s with 5 s of talk at each end: the skipped extras, at half
  # a tape, would have had no room for music (a failed run before the fix).
  expected = demo_tapes_lib.make_demo_tapes(
      str(tmp_path), tapes_per_era=3, tape_seconds=12, commentary_seconds=5)
  names = {os.path.splitext(p)[0]: p for p in os.listdir(tmp_path)}
  assert set(expected) <= set(names) and 'tracklist' in names
  extra = soundfile.info(str(tmp_path / names['Demo_Mound_City_Tape_98_1930']))
  assert extra.duration >= 2 * 5 + 10 - 0.01
