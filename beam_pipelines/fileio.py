"""Files for the records builder through Beam's FileSystems.

Local paths, gs:// (and s3://, hdfs:// with Beam's extras) alike, on the
driver and on any runner's workers, with the credentials in the pipeline
options. Shards are framed as TFRecords here (the format is four fields:
length, its masked CRC32C, the data, its masked CRC32C) so workers need no
TensorFlow file system.
"""

import contextlib
import glob as local_glob
import json
import os
import shutil
import struct
import warnings

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
import google_crc32c

from jazzcnn import globs


def set_options(pipeline_options):
  """Uses these Beam options (credentials, --no_auth, ...) for driver-side I/O."""
  FileSystems.set_options(pipeline_options)


def join(base, *parts):
  return FileSystems.join(base, *parts)


def is_local(path):
  return FileSystems.get_scheme(path) is None


def exists(path):
  return FileSystems.exists(path)


def glob(pattern):
  """Paths matching a glob; `**` matches across directories."""
  return sorted(sizes(pattern))


def sizes(pattern):
  """{path: bytes} of the files matching a glob (one listing on object
  stores: the sizes come with it)."""
  with _escapes_read():
    matches = FileSystems.match([pattern])[0].metadata_list
  return {m.path: m.size_in_bytes for m in matches}


@contextlib.contextmanager
def _escapes_read():
  """Beam turns a glob's '[[]' (a literal '[', `jazzcnn.globs.escape`) into
  the same regular expression, which `re` warns of: silenced here."""
  with warnings.catch_warnings():
    warnings.filterwarnings('ignore', 'Possible nested set', FutureWarning)
    yield


def glob_dirs(directory, name_pattern):
  """The directories in `directory` (local ones, or object-store prefixes)
  whose names match the glob `name_pattern`."""
  directory = directory.rstrip('/')
  if FileSystems.get_scheme(directory) is None:
    return sorted(p for p in local_glob.glob(globs.inside(directory,
                                                          name_pattern))
                  if os.path.isdir(p))
  below = glob(globs.inside(directory, name_pattern, '**'))
  return sorted({join(directory, p[len(directory):].lstrip('/').split('/')[0])
                 for p in below})


def list_tree(directory):
  """Every file under a directory (a prefix on object stores).

  A local tree is walked through symlinked subfolders too (each real folder
  once), as `predict`, `embed` and run_demo.sh list a folder of tapes; Beam's
  `**` match does not follow them.
  """
  if FileSystems.get_scheme(directory) is not None:
    return glob(globs.inside(directory, '**'))
  paths, seen = [], set()
  for parent, dirs, names in os.walk(directory, followlinks=True):
    seen.add(os.path.realpath(parent))
    dirs[:] = [d for d in dirs
               if os.path.realpath(os.path.join(parent, d)) not in seen]
    # Every entry that is not a directory, as Beam's match lists them: a
    # pipe or a broken link is then a counted skip, not passed over.
    paths += [os.path.join(parent, n) for n in names]
  return sorted(paths)


def is_directory(path):
  """True for a local directory or an object-store prefix with objects
  (either's name may hold `[`, `?` or `*`)."""
  if FileSystems.get_scheme(path) is None:
    return os.path.isdir(path)
  return bool(list_tree(path)) and not exists(path)


def open_read(path):
  """A seekable binary reader."""
  return FileSystems.open(path, mime_type='application/octet-stream',
                          compression_type=CompressionTypes.UNCOMPRESSED)


def read_text(path):
  with open_read(path) as f:
    return f.read().decode('utf-8')


def read_json(path):
  return json.loads(read_text(path))


def write_text(path, text):
  with FileSystems.create(path, mime_type='text/plain',
                          compression_type=CompressionTypes.UNCOMPRESSED) as f:
    f.write(text.encode('utf-8'))


def write_json(path, obj):
  write_text(path, json.dumps(obj, indent=1))


def makedirs(path):
  if FileSystems.get_scheme(path) is None and not exists(path):
    FileSystems.mkdirs(path)  # Object stores have no directories.


def rename(source, destination):
  FileSystems.rename([source], [destination])


def delete(paths):
  """Deletes files (and local directories, with what they hold)."""
  for path in paths:
    if is_local(path):  # Beam would match each as a glob, and files only.
      if os.path.isdir(path):
        shutil.rmtree(path)
      else:
        os.remove(path)
  remote = [globs.escape(p) for p in paths if not is_local(p)]
  if remote:  # Beam matches each path as a glob: its '[', escaped.
    with _escapes_read():
      FileSystems.delete(remote)


def delete_tree(directory):
  """Deletes a directory and everything under it, if it exists."""
  if FileSystems.get_scheme(directory) is None:
    if exists(directory):
      delete([directory])
  else:
    delete(list_tree(directory))


class TFRecordWriter:
  """Writes TFRecords (optionally GZIP) to any Beam file system."""

  def __init__(self, path, compression=None):
    self._file = FileSystems.create(
        path, mime_type='application/octet-stream',
        compression_type=(CompressionTypes.GZIP if compression == 'GZIP' else
                          CompressionTypes.UNCOMPRESSED))

  def write(self, record):
    length = struct.pack('<Q', len(record))
    self._file.write(length + struct.pack('<I', _masked_crc(length)))
    self._file.write(record)
    self._file.write(struct.pack('<I', _masked_crc(record)))

  def close(self):
    self._file.close()


def _masked_crc(data):
  crc = google_crc32c.value(data)
  return (((crc >> 15) | (crc << 17)) + 0xa282ead8) & 0xffffffff
