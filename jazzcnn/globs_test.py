"""Names with glob characters: globs, or files and folders so named."""

import fnmatch

from jazzcnn import globs


def test_an_escaped_name_matches_only_itself():
  name = 'tapes [2024]/Is it? *live*.flac'
  assert globs.is_glob(name)
  assert not globs.is_glob('tapes 2024/live.flac')
  assert fnmatch.fnmatchcase(name, globs.escape(name))
  assert not fnmatch.fnmatchcase('tapes 2/Is it! xlivex.flac',
                                 globs.escape(name))
  assert fnmatch.fnmatchcase('tapes 2/Is it! xlivex.flac', name)


def test_the_longest_existing_folder_is_escaped():
  folders = {'/m/tapes [2024]', '/m/tapes [2024]/disc [1]'}
  asked = []
  def is_dir(path):
    asked.append(path)
    return path in folders
  assert globs.with_literal_folder('/m/tapes [2024]/*.flac', is_dir) == (
      '/m/tapes [[]2024]/*.flac')
  assert globs.with_literal_folder(
      '/m/tapes [2024]/disc [1]/[ab].flac', is_dir) == (
          '/m/tapes [[]2024]/disc [[]1]/[ab].flac')
  # A folder part that exists under no such name stays a glob.
  assert globs.with_literal_folder('/m/tapes [2024]/*/[ab].flac', is_dir) == (
      '/m/tapes [[]2024]/*/[ab].flac')
  assert globs.with_literal_folder('/m/tape[12]/*.flac', is_dir) == (
      '/m/tape[12]/*.flac')
  assert globs.with_literal_folder('gs://b/t [1]/*.mp3', is_dir) == (
      'gs://b/t [1]/*.mp3')
  # Only folders whose names hold glob characters are looked up (each a
  # listing on an object store).
  asked.clear()
  assert globs.with_literal_folder('/m/tapes/2024/*.mp3', is_dir) == (
      '/m/tapes/2024/*.mp3')
  assert asked == []


def test_a_glob_inside_a_folder_reads_the_folder_name_as_it_is():
  pattern = globs.inside('gs://b/records [12]', '.build-tmp-*', '*')
  assert pattern == 'gs://b/records [[]12]/.build-tmp-*/*'
  assert fnmatch.fnmatchcase('gs://b/records [12]/.build-tmp-1/a', pattern)
  assert not fnmatch.fnmatchcase('gs://b/records 1/.build-tmp-1/a', pattern)
