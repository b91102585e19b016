"""Which files of an --input are read: listed, then one a tape."""

from beam_pipelines import tape_files
from jazzcnn import naming


def test_select_files_prefers_lossless():
  chosen, failures = tape_files.select_files(
      ['/a/T.mp3', '/a/T.flac', '/a/U.mp3', '/b/T.wav', '/a/V.m4a'])
  assert chosen == ['/a/T.flac', '/a/U.mp3']
  assert sorted((f['path'], f['reason']) for f in failures) == [
      ('/a/T.mp3', 'duplicate'), ('/a/V.m4a', 'undecoded_format'),
      ('/b/T.wav', 'duplicate')]
  (undecoded,) = [f for f in failures if f['reason'] == 'undecoded_format']
  assert undecoded['detail'].endswith('ffmpeg -i V.m4a V.flac'), undecoded
  # An M4A copy of a tape held in a decoded format too is only a duplicate.
  chosen, failures = tape_files.select_files(
      ['/a/T.m4a', '/a/T.mp3', '/a/V.wma'])
  assert chosen == ['/a/T.mp3']
  assert [(f['path'], f['reason'], f['detail']) for f in failures] == [
      ('/a/T.m4a', 'duplicate', 'same tape as /a/T.mp3'),
      ('/a/V.wma', 'undecoded_format', naming.undecoded_reason('/a/V.wma'))]


def test_list_audio_walks_symlinked_folders_once(tmp_path):
  """A folder of tapes reached through a link is read, as predict reads it;
  a link back up the tree is not followed round."""
  (tmp_path / 'elsewhere' / 'sub').mkdir(parents=True)
  (tmp_path / 'elsewhere' / 'sub' / 'A.mp3').write_bytes(b'')
  (tmp_path / 'elsewhere' / 'sub' / 'notes.txt').write_bytes(b'')
  (tmp_path / 'elsewhere' / 'sub' / 'up').symlink_to('..')
  tapes = tmp_path / 'tapes'
  tapes.mkdir()
  (tapes / 'B.FLAC').write_bytes(b'')
  (tapes / 'linked').symlink_to(tmp_path / 'elsewhere')
  assert tape_files.list_audio(str(tapes)) == [
      str(tapes / 'B.FLAC'), str(tapes / 'linked' / 'sub' / 'A.mp3')]
  assert tape_files.list_audio(str(tapes / '*.FLAC')) == [str(tapes / 'B.FLAC')]


def test_list_audio_reads_folders_and_files_named_like_globs(tmp_path):
  # 'tapes [2024]' is a folder, not a character class: it was taken for a
  # glob that matched nothing ("no MP3/FLAC/... files in --input").
  tapes = tmp_path / 'tapes [2024]'
  (tapes / 'live?').mkdir(parents=True)
  for name in ('Song [Live].flac', 'live?/B*.mp3'):
    (tapes / name).write_bytes(b'')
  assert tape_files.list_audio(str(tapes)) == [
      str(tapes / 'Song [Live].flac'), str(tapes / 'live?' / 'B*.mp3')]
  for name in ('Song [Live].flac', 'live?/B*.mp3'):
    assert tape_files.list_audio(str(tapes / name)) == [str(tapes / name)]
  assert tape_files.list_audio(str(tmp_path / '*' / '*.flac')) == [
      str(tapes / 'Song [Live].flac')]  # A glob still.
  # A glob inside the folder: its files, not those of a folder 'tapes 2'.
  (tmp_path / 'tapes 2').mkdir()
  (tmp_path / 'tapes 2' / 'Other.flac').write_bytes(b'')
  assert tape_files.list_audio(str(tapes / '*.flac')) == [
      str(tapes / 'Song [Live].flac')]
  assert tape_files.list_audio(str(tmp_path / 'tapes [12]' / '*.flac')) == [
      str(tmp_path / 'tapes 2' / 'Other.flac')]
