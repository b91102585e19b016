"""Check corpora from .deb packages: tracks in the package or in a zip in it."""

import csv
import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import soundfile

import conftest
from beam_pipelines import check_corpora
from beam_pipelines import check_corpus_lib

pytestmark = pytest.mark.skipif(shutil.which('dpkg-deb') is None,
                                reason='needs dpkg-deb (Debian or Ubuntu)')


def _tone(path, seconds, freq, rate=8000):
  t = np.arange(int(seconds * rate)) / rate
  soundfile.write(path, 0.3 * np.sin(2 * np.pi * freq * t), rate)


def _deb(tmp_path, package, files):
  """Builds `{package}_1_all.deb` holding `files` ({path: writer(path)})."""
  root = tmp_path / f'{package}-root'
  (root / 'DEBIAN').mkdir(parents=True)
  (root / 'DEBIAN' / 'control').write_text(
      f'Package: {package}\nVersion: 1\nArchitecture: all\n'
      'Maintainer: test <t@example.org>\nDescription: test\n')
  for name, write in files.items():
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    write(str(root / name))
  cache = tmp_path / 'cache'
  cache.mkdir(exist_ok=True)
  subprocess.run(['dpkg-deb', '--root-owner-group', '--build', str(root),
                  str(cache / f'{package}_1_all.deb')],
                 check=True, capture_output=True)
  return str(cache)


def _zip_of(tracks):
  def write(path):
    with zipfile.ZipFile(path, 'w') as z:
      for name, seconds in tracks.items():
        tmp = path + '.wav'
        _tone(tmp, seconds, 440)
        z.write(tmp, name)
        os.remove(tmp)
  return write


def test_artist_groups_variants_only_when_asked():
  assert check_corpus_lib.artist('celtic_fast') == 'celtic'
  assert check_corpus_lib.artist('forest2') == 'forest'
  assert check_corpus_lib.artist('track4') == 'track'
  assert check_corpus_lib.artist('track4', group_variants=False) == 'track4'
  assert check_corpus_lib.artist('A New Journey', False) == 'anewjourney'
  assert check_corpus_lib.artist('sixtyfour_revisited') == 'sixtyfour'
  assert check_corpus_lib.artist('sixtyfour_') == 'sixtyfour'
  assert check_corpus_lib.artist('olympics_sd') == 'olympics'
  assert check_corpus_lib.artist('sdmusic') == 'sdmusic'


def test_write_tape_keeps_the_whole_track_when_max_seconds_is_zero(
    tmp_path):
  src = str(tmp_path / 'track.wav')
  _tone(src, 3, 300)
  for max_seconds, want in ((0, 3.0), (-1, 3.0), (2, 2.0), (10, 3.0)):
    dst = str(tmp_path / f'tape{max_seconds}.flac')
    assert check_corpus_lib.write_tape(
        src, dst, max_seconds=max_seconds) == pytest.approx(want)
    assert soundfile.info(dst).duration == pytest.approx(want)


def test_corpus_from_package_files_and_a_zip_inside_a_package(tmp_path):
  cache = _deb(tmp_path, 'tunes-music', {
      'usr/share/tunes/album/track4.wav': lambda p: _tone(p, 3, 300),
      'usr/share/tunes/album/track5.wav': lambda p: _tone(p, 3, 350),
      'usr/share/tunes/old/track1.wav': lambda p: _tone(p, 3, 400),
      'usr/share/tunes/album/jingle.wav': lambda p: _tone(p, 0.5, 500),
  })
  _deb(tmp_path, 'pack-music', {
      'usr/share/pack/music.pk3': _zip_of({
          'music/Ann-Theme.wav': 3, 'music/Ann-Theme_fast.wav': 3,
          'music/Bob01.wav': 3, 'sound/Ann-Click.wav': 3}),
  })
  sources = (
      # track5 holds track4's audio: one group.
      check_corpora.Source('tunes', 'tunes-music', 'usr/share/tunes/*.wav',
                              1911, exclude=('*/old/*',),
                              group_variants=False,
                              same_audio=(('track5', 'track4'),)),
      check_corpora.Source('ann', 'pack-music', 'music/Ann-*.wav', 1912,
                              archive='usr/share/pack/music.pk3'),
      check_corpora.Source('bob', 'pack-music', 'music/Bob*.wav', 1913,
                              archive='usr/share/pack/music.pk3'),
  )
  out = tmp_path / 'tapes'
  written = []
  summary = check_corpus_lib.make_check_corpus(
      str(out), cache_dir=cache, sources=sources, min_seconds=1.0,
      max_seconds=2.0, progress=lambda *args: written.append(args))
  assert written == [
      ('tunes_track4_Tape_2_1911', 5), ('tunes_track4_Tape_3_1911', 5),
      ('ann_ann_Tape_1_1912', 5), ('ann_ann_Tape_2_1912', 5),
      ('bob_bob01_Tape_1_1913', 5)]
  # The excluded folder, the jingle and the zip's other folder are left out.
  assert summary == {
      'tunes': {'tapes': 2, 'artists': 1, 'seconds': 4.0},
      'ann': {'tapes': 2, 'artists': 1, 'seconds': 4.0},  # A piece, a variant.
      'bob': {'tapes': 1, 'artists': 1, 'seconds': 2.0}}
  with open(out / 'tracklist.csv') as f:
    rows = list(csv.DictReader(f))
  assert [(r['title'], r['year']) for r in rows] == [  # Sorted by title.
      ('ann_ann_Tape_1_1912', '1912'), ('ann_ann_Tape_2_1912', '1912'),
      ('bob_bob01_Tape_1_1913', '1913'),
      ('tunes_track4_Tape_2_1911', '1911'),
      ('tunes_track4_Tape_3_1911', '1911')]
  tapes = sorted(p for p in os.listdir(out) if p != 'tracklist.csv')
  assert len(tapes) == 5 and not [p for p in tapes if '.tmp' in p or
                                  p.endswith('.part')]
  for tape in tapes:
    assert soundfile.info(str(out / tape)).duration == pytest.approx(2.0,
                                                                     abs=0.05)
  assert check_corpora.eras(sources) == (
      'tunes:1911-1911,ann:1912-1912,bob:1913-1913')


def test_reserved_packages_are_refused_but_to_the_independent_check(
    tmp_path):
  with pytest.raises(check_corpus_lib.CorpusError, match='reserved'):
    check_corpus_lib.download('wesnoth-music', str(tmp_path))
  # A stand-in .deb under the reserved name (not the package): whoever runs
  # the independent check builds its corpus with this script.
  cache = _deb(tmp_path, 'wesnoth-music', {
      f'usr/share/w/{name}.wav': lambda p, f=f: _tone(p, 2, f)
      for name, f in (('a', 300), ('b', 350))})
  _deb(tmp_path, 'tunes-music', {
      'usr/share/t/c.wav': lambda p: _tone(p, 2, 400)})
  sources = (check_corpora.Source('w', 'wesnoth-music', 'usr/share/w/*.wav',
                                  1931),
             check_corpora.Source('t', 'tunes-music', 'usr/share/t/*.wav',
                                  1932))
  out = tmp_path / 'held_out'
  with pytest.raises(check_corpus_lib.CorpusError) as e:
    check_corpus_lib.make_check_corpus(str(out), cache_dir=cache,
                                       sources=sources, min_seconds=1)
  assert str(e.value) == ('wesnoth-music is reserved for an independent '
                          'check of this project (--independent_check if '
                          'you run it)')
  assert not out.exists()
  summary = check_corpus_lib.make_check_corpus(
      str(out), cache_dir=cache, sources=sources, min_seconds=1,
      independent_check=True)
  assert summary == {'w': {'tapes': 2, 'artists': 2, 'seconds': 4.0},
                     't': {'tapes': 1, 'artists': 1, 'seconds': 2.0}}


@pytest.mark.parametrize('flagfile,corpus', [
    ('build_check.cfg', 'soundtracks'),
    ('build_check_composers.cfg', 'composers'),
    ('build_check_trio.cfg', 'trio')])
def test_build_flagfiles_label_their_corpus(flagfile, corpus):
  with open(os.path.join(conftest.ROOT, 'flags', flagfile)) as f:
    lines = [line.strip() for line in f if line.startswith('--eras=')]
  assert lines == [
      '--eras=' + check_corpora.eras(check_corpora.CORPORA[corpus])]


def test_parse_source_reads_a_class_of_ones_own():
  source = check_corpora.parse_source(
      'Ann:pack-music:/usr/share/pack/music.pk3!music/Ann-*.wav', 1931)
  assert source == check_corpora.Source(
      'ann', 'pack-music', 'music/Ann-*.wav', 1931,
      archive='usr/share/pack/music.pk3')
  source = check_corpora.parse_source('t:tunes-music:usr/*.wav', 1932,
                                      group_variants=False,
                                      exclude=['*/fx/*'])
  assert (source.archive, source.group_variants, source.exclude) == (
      '', False, ('*/fx/*',))
  for bad in ('ann', 'ann:pack-music', 'ann:pack-music:', 'a_b:p:x.wav',
              ':p:x.wav', 'ann:p:music.pk3!'):
    with pytest.raises(ValueError, match='is not NAME:PACKAGE:PATTERN'):
      check_corpora.parse_source(bad, 1931)


def test_a_class_without_tracks_says_what_the_package_holds(tmp_path):
  cache = _deb(tmp_path, 'tunes-music', {
      'usr/share/tunes/a.ogg': lambda p: _tone(p, 3, 300),
      'usr/share/tunes/b.ogg': lambda p: _tone(p, 3, 300),
      **{f'usr/share/fx/{d}/x.wav': lambda p: _tone(p, 0.1, 300)
         for d in 'abc'},
      'usr/share/Music/x.wav': lambda p: _tone(p, 0.1, 300),
      'usr/share/tunes/music.pk3': _zip_of({'music/Ann.wav': 3}),
  })
  def fails(pattern, archive='', min_seconds=1.0):
    source = check_corpora.Source('tunes', 'tunes-music', pattern, 1931,
                                     archive=archive)
    with pytest.raises(check_corpus_lib.CorpusError) as e:
      check_corpus_lib.make_check_corpus(
          str(tmp_path / 'out'), cache_dir=cache, sources=(source,),
          min_seconds=min_seconds)
    return str(e.value)
  assert fails('usr/share/music/*.ogg') == (
      'tunes: no file of tunes-music matches usr/share/music/*.ogg; its '
      'audio files are in usr/share/Music/ (1), usr/share/tunes/ (2), '
      'usr/share/fx/a/ (1) and 2 more folders')
  assert fails('Ann.wav', archive='usr/share/tunes/music.pk3') == (
      'tunes: no file of tunes-music in its usr/share/tunes/music.pk3 '
      'matches Ann.wav; its audio files are in music/ (1)')
  assert fails('*.wav', archive='usr/share/music.pk3') == (
      "tunes: tunes-music holds no file usr/share/music.pk3 (the zip before "
      "the '!')")
  assert fails('usr/share/tunes/*.ogg', min_seconds=10) == (
      'tunes: each of its 2 tracks is shorter than --min_seconds (10 s)')
  # Nothing is written for a corpus that fails.
  assert not (tmp_path / 'out').exists()


def test_the_command_builds_a_corpus_of_ones_own(tmp_path):
  cache = _deb(tmp_path, 'tunes-music', {
      f'usr/share/tunes/{name}.wav': lambda p, f=f: _tone(p, 2, f)
      for name, f in (('a', 300), ('b', 350), ('c', 400))})
  _deb(tmp_path, 'pack-music', {'usr/share/pack/music.pk3': _zip_of(
      {'music/Ann.wav': 2, 'music/Ann_fast.wav': 2, 'music/Bob.wav': 2})})
  out = str(tmp_path / 'mine')
  result = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.make_check_corpus',
       f'--output={out}', f'--cache_dir={cache}', '--min_seconds=1',
       '--source=tunes:tunes-music:usr/share/tunes/*.wav',
       '--source=Pack:pack-music:usr/share/pack/music.pk3!music/*.wav',
       '--exclude=*/c.wav'],
      cwd=conftest.ROOT, capture_output=True, text=True, check=True)
  summary = json.loads(result.stdout)
  assert summary['eras'] == 'tunes:1931-1931,pack:1932-1932'
  assert summary['classes'] == {
      'tunes': {'tapes': 2, 'artists': 2, 'seconds': 4.0},  # c excluded.
      'pack': {'tapes': 3, 'artists': 2, 'seconds': 6.0}}  # Ann, a variant.
  assert f'--eras={summary["eras"]}' in shlex.split(summary['build'])
  with open(os.path.join(out, 'tracklist.csv')) as f:
    assert sorted(r['year'] for r in csv.DictReader(f)) == ['1931'] * 2 + [
        '1932'] * 3
