"""The files of an --input: every audio file listed, one chosen a tape.

What the builder reads, and what `beam_pipelines.tracklist --input`
previews, so the two agree.
"""

from beam_pipelines import build_steps as steps
from beam_pipelines import fileio
from jazzcnn import globs
from jazzcnn import naming


def list_audio(input_pattern):
  """Lists audio files under a directory (recursively), a file, or files
  matching a glob: those decoded here and those of other audio formats
  (`select_files` reports them)."""
  if fileio.is_directory(input_pattern):
    paths = fileio.list_tree(input_pattern)
  elif fileio.exists(input_pattern):  # 'Song [Live].flac' is no glob.
    paths = [input_pattern]
  else:  # 'tapes [2024]/*.flac' is that folder's FLAC files.
    paths = fileio.glob(
        globs.with_literal_folder(input_pattern, fileio.is_directory))
  return sorted(p for p in paths
                if naming.is_audio(p) or naming.is_undecoded(p))


def input_files(input_pattern):
  """(every audio path listed, chosen paths, failures of the files left
  out) of an --input (`list_audio`, `select_files`).

  Raises:
    ValueError: when no file is of a format decoded here.
  """
  paths = list_audio(input_pattern)
  chosen, left_out = select_files(paths)
  if not chosen:
    others = (f', only {len(paths)} of other audio formats: '
              f'{naming.undecoded_reason(paths[0])}' if paths else '')
    raise ValueError(f'no {naming.AUDIO_FORMATS} files in '
                     f'--input={input_pattern}{others}')
  return paths, chosen, left_out


def select_files(paths):
  """(chosen paths, failure dicts for the files left out): one file per
  tape, lossless first. archive.org items hold the original FLAC/WAV next
  to MP3 derivatives of the same tape; using both would put one tape's
  windows in twice. A tape only in a format not decoded here is left out,
  saying how to convert it."""
  first = naming.one_file_per_tape(paths)
  chosen = [first[tape] for tape in sorted(first)
            if naming.is_audio(first[tape])]
  failures = [
      steps.failure(p, steps.UNDECODED, naming.undecoded_reason(p))
      if p == first[naming.tape_id(p)] else
      steps.failure(p, steps.DUPLICATE,
                    f'same tape as {first[naming.tape_id(p)]}')
      for p in sorted(set(paths) - set(chosen))]
  return chosen, failures
