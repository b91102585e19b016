"""Synthesizes a small labelled corpus of "tapes" in the collection's naming.

Each era has its own sound a CNN can hear: tempo, rhythm feel, instruments
and the bandwidth and noise of the recording. Tapes open and close with
speech-like "commentary", as Niven's tapes do.
"""

import dataclasses
import os

import numpy as np
import soundfile
import soxr

from jazzcnn import naming


@dataclasses.dataclass(frozen=True)
class EraSound:
  name: str
  years: tuple[int, int]
  bpm: tuple[float, float]
  swing: float  # Fraction of a beat where the off-beat eighth falls.
  band: tuple[float, float]  # Hz passed by the "recording".
  crackle: float  # Clicks per second.
  hiss: float
  lead_harmonics: int  # 1: a sine (cool), many: brassy.
  lead_notes_per_beat: int
  comp: str  # How the rhythm section plays.


ERA_SOUNDS = (
    EraSound('early', (1920, 1930), (200, 230), 0.5, (250, 3500), 12.0, 0.02,
             7, 1, 'two_beat'),
    EraSound('swing', (1931, 1944), (150, 180), 0.66, (100, 6000), 3.0, 0.01,
             5, 2, 'walking'),
    EraSound('bop', (1945, 1949), (250, 300), 0.6, (60, 9000), 1.0, 0.006,
             3, 2, 'ride'),
    EraSound('cool', (1950, 1955), (90, 120), 0.58, (40, 15000), 0.0, 0.002,
             1, 1, 'brushes'),
)
_BANDS = ('Hot_Five', 'Red_Peppers', 'Rhythm_Kings', 'Blue_Devils',
          'Night_Owls', 'Mound_City')
# Formats and rates cycle over the tapes: MP3, FLAC, WAV and OGG; 44.1 kHz
# stereo and other rates, mono and stereo.
_FORMATS = (('mp3', 44100, 2), ('flac', 44100, 2), ('wav', 22050, 1),
            ('mp3', 48000, 2), ('flac', 32000, 1), ('ogg', 44100, 2))


# Every tape is synthesized at this rate, then resampled to its file's rate:
# rendered at the file's own rate, white hiss and one-sample clicks put
# twice the power below 8 kHz at 22.05 kHz as at 44.1 kHz, so a tape's
# format changed how its era sounded after the builder's resampling to
# 16 kHz (an early-jazz WAV at 22.05 kHz was heard as bop in every run).
SYNTHESIS_RATE = 44100


def synthesize(era, seconds, sample_rate, *, commentary_seconds, rng):
  """One tape: commentary, music of `era`, commentary; float32 mono.

  The sound is the same whatever `sample_rate` the file will have: it is
  synthesized at SYNTHESIS_RATE and resampled (soxr) to `sample_rate`.
  """
  music = _music(era, seconds - 2 * commentary_seconds, SYNTHESIS_RATE, rng)
  talk = [_speech(commentary_seconds, SYNTHESIS_RATE, rng) for _ in range(2)]
  x = np.concatenate([talk[0], music, talk[1]])
  if sample_rate != SYNTHESIS_RATE:
    x = soxr.resample(x, SYNTHESIS_RATE, sample_rate)
  return x.astype(np.float32)


# Over 60 lines only with its docstring (every argument documented).
def make_demo_tapes(output_dir, *, tapes_per_era=4, tape_seconds=180.0,
                    commentary_seconds=5.0, split_fractions=(0.8, 0.1, 0.1),
                    split_by='artist_era', extras=True, seed=0,
                    progress=None):
  """Writes tapes and a matching `tracklist.csv` into `output_dir`.

  Tape numbers are chosen so that every era has tapes in every split (at
  `split_fractions`), which a random handful of tapes would not guarantee.

  Args:
    output_dir: created if missing.
    tapes_per_era: labelled tapes per era (at least 3).
    tape_seconds: length of each tape, commentary included.
    commentary_seconds: speech at each end of a tape.
    split_fractions: the builder's split fractions.
    split_by: the builder's grouping (`naming.split_key`).
    extras: also write tapes the builder must skip: one unlisted, one
      ambiguous (1929-1933), one outside the eras (1962) and one that is not
      audio.
    seed: random seed; the same seed writes the same corpus.
    progress: optional callable, called with each tape's title once it is
      written (a progress bar's update).

  Returns:
    {tape id: era name or skip reason}.
  """
  if tapes_per_era < 3:
    raise ValueError('need at least 3 tapes per era, one for each split, got '
                     f'{tapes_per_era}')
  if commentary_seconds < 0 or tape_seconds <= 2 * commentary_seconds:
    raise ValueError(f'a tape of {tape_seconds} s has no music between '
                     f'{commentary_seconds} s of commentary at each end')
  os.makedirs(output_dir, exist_ok=True)
  rng = np.random.default_rng(seed)
  rows, expected = [], {}
  k = 0
  for era in ERA_SOUNDS:
    for number in _tape_numbers(era, tapes_per_era, split_fractions,
                                split_by):
      title, last = _title(era, number)
      ext, rate, channels = _FORMATS[k % len(_FORMATS)]
      k += 1
      x = synthesize(era, tape_seconds, rate,
                     commentary_seconds=commentary_seconds, rng=rng)
      write_audio(os.path.join(output_dir, f'{title}.{ext}'), x, rate,
                  channels)
      rows.append((title, str(last)))
      expected[title] = era.name
      if progress:
        progress(title)
  if extras:
    for title, era, listed, reason in (
        ('Demo_Mound_City_Tape_98_1930', ERA_SOUNDS[0], False, 'unlisted'),
        ('Demo_Blue_Devils_Tape_99_1929-1933', ERA_SOUNDS[1], True,
         'ambiguous'),
        ('Demo_Night_Owls_Tape_97_1962', ERA_SOUNDS[3], True, 'outside')):
      # Half a tape, with at least 10 s of music between the commentaries.
      seconds = max(tape_seconds / 2, 2 * commentary_seconds + 10)
      x = synthesize(era, seconds, 22050,
                     commentary_seconds=commentary_seconds, rng=rng)
      write_audio(os.path.join(output_dir, f'{title}.wav'), x, 22050, 1)
      if listed:
        rows.append((title, ''))
      expected[title] = reason
    broken = 'Demo_Hot_Five_Tape_96_1927'
    with open(os.path.join(output_dir, f'{broken}.mp3'), 'wb') as f:
      f.write(b'this is not audio\n' * 64)
    rows.append((broken, '1927'))
    expected[broken] = 'unreadable'
  naming.write_tracklist(os.path.join(output_dir, 'tracklist.csv'),
                         dict(rows))
  return expected


def _title(era, number):
  """A tape's title in the collection's scheme, and its last year."""
  first = era.years[0] + number % (era.years[1] - era.years[0] + 1)
  last = min(era.years[1], first + number % 3)
  years = f'{first}' if first == last else f'{first}-{last}'
  # Two consecutive tapes share a band, so splits by artist have groups
  # of more than one tape.
  band = f'{_BANDS[number // 2 % len(_BANDS)]}_{number // 2 // len(_BANDS) + 1}'
  return f'Demo_{band}_{era.name.title()}_Tape_{number}_{years}', last


def _tape_numbers(era, count, fractions, split_by):
  """Tape numbers whose groups cover every split, then fill up with train."""
  wanted = {'validation': 1, 'test': 1, 'train': count - 2}
  numbers = []
  for number in range(1, 10000):
    title, _ = _title(era, number)
    split = naming.assign_split(naming.split_key(title, era.name, split_by),
                                fractions)
    if wanted[split] > 0:
      wanted[split] -= 1
      numbers.append(number)
    if not any(wanted.values()):
      return numbers
  raise ValueError(f'no tape numbers cover all splits at {fractions}')


# Sound sources. Everything is additive synthesis on a float64 timeline.


def _music(era, seconds, sr, rng):
  n = int(seconds * sr)
  out = np.zeros(n)
  bpm = rng.uniform(*era.bpm)
  beat = 60.0 / bpm
  root = rng.choice([110.0, 116.5, 130.8, 146.8])  # A, Bb, C, D
  scale = np.array([0, 2, 4, 5, 7, 9, 10, 12])
  beats = np.arange(0, seconds - 1, beat)
  for b, t in enumerate(beats):
    bar_root = root * 2 ** (scale[[0, 3, 4, 0][(b // 4) % 4]] / 12)
    _rhythm(out, sr, era, t, b, beat, bar_root, rng)
    for j in range(era.lead_notes_per_beat):
      frac = 0 if j == 0 else era.swing
      degree = scale[rng.integers(len(scale))] + (
          rng.integers(-1, 2) if era.name == 'bop' else 0)
      freq = root * 4 * 2 ** (degree / 12)
      length = beat * (0.9 if era.lead_notes_per_beat == 1 else 0.45)
      if era.name == 'cool' and b % 2:
        continue  # Sparse, long lines.
      _tone(out, sr, t + frac * beat, length * (2 if era.name == 'cool' else 1),
            freq, 0.18, era.lead_harmonics, attack=0.04 if era.name == 'cool'
            else 0.01, vibrato=5.0 if era.name != 'early' else 7.0)
  out = _band_limit(out, sr, *era.band)
  if era.hiss:
    out += rng.normal(0, era.hiss, n)
  if era.crackle:
    clicks = rng.integers(0, n, int(era.crackle * seconds))
    out[clicks] += rng.choice([-1, 1], len(clicks)) * rng.uniform(0.2, 0.5,
                                                                   len(clicks))
  if era.name == 'early':  # Wow: a slow pitch wobble of the disc.
    t = np.arange(n) / sr
    warp = t + 0.002 * np.sin(2 * np.pi * 0.55 * t)
    out = np.interp(warp * sr, np.arange(n), out)
  return 0.8 * out / max(1e-9, np.abs(out).max())


def _rhythm(out, sr, era, t, b, beat, root, rng):
  if era.comp == 'two_beat':
    if b % 2 == 0:  # Tuba on 1 and 3.
      _tone(out, sr, t, beat * 0.8, root / 2, 0.35, 3)
    _tone(out, sr, t, 0.12, root * 2, 0.15, 9, decay=25)  # Banjo, every beat.
  elif era.comp == 'walking':
    _tone(out, sr, t, beat * 0.9, root / 2 * 2 ** (rng.integers(0, 8) / 12),
          0.3, 2, decay=4)
    if b % 2 == 1:  # Hi-hat on 2 and 4, swung ride in between.
      _noise(out, sr, t, 0.05, 0.12, rng, hp=6000)
    _tone(out, sr, t + 0.05, beat * 0.6, root * 1.5, 0.08, 5)  # Brass pad.
  elif era.comp == 'ride':
    _noise(out, sr, t, 0.25, 0.09, rng, hp=5000)
    _noise(out, sr, t + era.swing * beat, 0.12, 0.06, rng, hp=5000)
    _tone(out, sr, t, beat * 0.8, root / 2, 0.25, 2, decay=5)
    if rng.random() < 0.15:  # Dropping bombs.
      _tone(out, sr, t + beat / 2, 0.15, 55.0, 0.6, 1, decay=20)
  elif era.comp == 'brushes':
    _noise(out, sr, t, beat, 0.03, rng, hp=2000, lp=8000)
    if b % 2 == 0:
      _tone(out, sr, t, beat * 1.8, root / 2, 0.2, 1, decay=1.5)


def _tone(out, sr, start, length, freq, amp, harmonics, *, decay=2.0,
          attack=0.01, vibrato=0.0):
  i = int(start * sr)
  m = min(int(length * sr), len(out) - i)
  if m <= 0:
    return
  t = np.arange(m) / sr
  phase = 2 * np.pi * freq * t + (0.004 * freq / max(vibrato, 1e-9)) * np.sin(
      2 * np.pi * vibrato * t) if vibrato else 2 * np.pi * freq * t
  wave = sum(np.sin(k * phase) / k for k in range(1, harmonics + 1)
             if k * freq < sr / 2.2)
  env = np.minimum(1, t / attack) * np.exp(-decay * t)
  out[i:i + m] += amp * env * wave


def _noise(out, sr, start, length, amp, rng, *, hp=0.0, lp=None):
  i = int(start * sr)
  m = min(int(length * sr), len(out) - i)
  if m <= 16:
    return
  burst = _band_limit(rng.normal(0, 1, m), sr, hp, lp or sr / 2)
  out[i:i + m] += amp * burst * np.exp(-8 * np.arange(m) / m)


def _speech(seconds, sr, rng):
  """Formant-shaped noise and buzz with a syllable rhythm: a voice, roughly."""
  n = int(seconds * sr)
  t = np.arange(n) / sr
  pitch = 110 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t))
  buzz = np.sign(np.sin(2 * np.pi * np.cumsum(pitch) / sr)) * 0.3
  x = _band_limit(buzz + rng.normal(0, 0.2, n), sr, 300, 3000)
  syllables = np.maximum(0, np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6)))
  return 0.5 * x * syllables / max(1e-9, np.abs(x).max())


def _band_limit(x, sr, low, high):
  spectrum = np.fft.rfft(x)
  freqs = np.fft.rfftfreq(len(x), 1 / sr)
  spectrum[(freqs < low) | (freqs > high)] = 0
  return np.fft.irfft(spectrum, len(x))


def write_audio(path, x, sample_rate, channels, *, block=8192):
  """Writes mono `x` as `channels` channels, block by block.

  libsndfile's Vorbis encoder crashes on large single writes; small blocks
  are safe for every format.
  """
  if channels == 2:  # A slightly different second channel, as from tape.
    x = np.stack([x, np.roll(x, 7) * 0.95], axis=1)
  fmt = os.path.splitext(path)[1][1:].upper()
  fmt, subtype = {'WAV': ('WAV', 'PCM_16'), 'AIF': ('AIFF', None),
                  'OPUS': ('OGG', 'OPUS')}.get(fmt, (fmt, None))
  with soundfile.SoundFile(path, 'w', sample_rate, channels, format=fmt,
                           subtype=subtype) as f:
    for i in range(0, len(x), block):
      f.write(x[i:i + block])
