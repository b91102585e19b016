"""Downloads a collection's tapes from archive.org (or a mirror).

Listing and metadata go through `internetarchive`, archive.org's own client;
files are fetched here with Range resume, MD5 verification and retries.
"""

import concurrent.futures
import dataclasses
import hashlib
import logging
import os
import re
import time
import urllib.parse

import internetarchive

from jazzcnn import naming

# archive.org formats of audio files, by preference.
ORIGINAL_FORMATS = ('Flac', '24bit Flac', 'WAVE', 'Ogg Vorbis', 'VBR MP3',
                    '128Kbps MP3', 'MP3')
MP3_FORMATS = ('VBR MP3', '128Kbps MP3', 'MP3', 'Ogg Vorbis', 'Flac', 'WAVE')
PREFERENCES = {'original': ORIGINAL_FORMATS, 'mp3': MP3_FORMATS}
_SAFE = re.compile(r"[^A-Za-z0-9._,'&+()\-]")


@dataclasses.dataclass(frozen=True)
class RemoteFile:
  identifier: str
  name: str  # Path inside the item, as in its metadata.
  format: str
  md5: str
  size: int
  local_name: str  # Safe file name in the output directory.


def session_for(base_url):
  """An internetarchive session talking to `base_url` (archive.org or a mirror)."""
  parsed = urllib.parse.urlsplit(base_url)
  if parsed.scheme not in ('http', 'https') or not parsed.netloc:
    raise ValueError(f'--base_url must be http(s)://host[:port], got {base_url!r}')
  session = internetarchive.get_session(config={'general': {
      'secure': parsed.scheme == 'https'}})
  # The client appends ".archive.org" to other hosts; mirrors need the host
  # as given.
  session.host = parsed.netloc
  session.protocol = f'{parsed.scheme}:'
  return session


def list_items(session, collection):
  """Identifiers of the collection's items, sorted."""
  search = session.search_items(f'collection:{collection}',
                                fields=['identifier'])
  return sorted(item['identifier'] for item in search)


def safe_name(name):
  """A flat, harmless file name from remote metadata (no paths, no oddities)."""
  base = name.replace('\\', '/').rsplit('/', 1)[-1]
  base = _SAFE.sub('_', base).lstrip('.')
  if not base or base in ('.', '..'):
    raise ValueError(f'unusable file name {name!r}')
  return base


def choose_files(identifier, files, preference):
  """The item's audio files in the most preferred format it has.

  Args:
    identifier: the item.
    files: the item's metadata `files` list.
    preference: formats, best first (PREFERENCES[...]).

  Returns:
    `RemoteFile`s (all files of the chosen format, e.g. both sides of a tape).
  """
  audio = []
  for f in files:
    name = f.get('name', '')
    if f.get('format') not in preference or not name.lower().endswith(
        naming.AUDIO_EXTENSIONS):
      continue
    if '..' in name.replace('\\', '/').split('/'):
      logging.warning('%s: skipping unsafe file name %r', identifier, name)
      continue
    audio.append(f)
  if not audio:
    return []
  best = min(preference.index(f['format']) for f in audio)
  return [RemoteFile(identifier, f['name'], f['format'], f.get('md5', ''),
                     int(f.get('size', 0) or 0), safe_name(f['name']))
          for f in sorted(audio, key=lambda f: f['name'])
          if preference.index(f['format']) == best]


def md5_of(path, chunk=1 << 20):
  digest = hashlib.md5()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(chunk), b''):
      digest.update(block)
  return digest.hexdigest()


def download(session, base_url, remote, output_dir, *, retries=5,
             backoff=1.0, chunk=1 << 14, timeout=60, progress=None):
  """Fetches one file, resuming a partial `.part` file; checks its MD5.

  Returns:
    'present' (already there and whole), 'downloaded'.

  Raises:
    IOError: when every try failed or the MD5 never matched.
  """
  final = os.path.join(output_dir, remote.local_name)
  if os.path.exists(final) and (not remote.md5 or md5_of(final) == remote.md5):
    return 'present'
  part = final + '.part'
  url = (f'{base_url.rstrip("/")}/download/{urllib.parse.quote(remote.identifier)}/'
         f'{urllib.parse.quote(remote.name)}')
  last_error = None
  for attempt in range(retries):
    if attempt:
      time.sleep(backoff * 2 ** (attempt - 1))
    have = os.path.getsize(part) if os.path.exists(part) else 0
    headers = {'Range': f'bytes={have}-'} if have else {}
    try:
      with session.get(url, headers=headers, stream=True,
                       timeout=timeout) as response:
        if response.status_code == 416:  # Nothing left to fetch.
          pass
        elif response.status_code not in (200, 206):
          raise IOError(f'HTTP {response.status_code} for {url}')
        else:
          mode = 'ab' if response.status_code == 206 else 'wb'
          with open(part, mode) as f:
            for block in response.iter_content(chunk):
              f.write(block)
              if progress is not None:
                progress.update(len(block))
    except OSError as e:  # requests' errors are OSErrors too.
      last_error = e
      logging.warning('%s: try %d: %s', remote.local_name, attempt + 1, e)
      continue
    if remote.md5 and md5_of(part) != remote.md5:
      last_error = IOError(f'MD5 mismatch for {remote.local_name}')
      logging.warning('%s: MD5 mismatch; fetching it again', remote.local_name)
      os.remove(part)
      continue
    os.replace(part, final)
    return 'downloaded'
  raise IOError(f'{remote.local_name}: gave up after {retries} tries: '
                f'{last_error}')


def tape_year(metadata):
  """A year for the track list's `year` column from item metadata, or ''."""
  for key in ('year', 'date'):
    match = re.search(r'(?<!\d)(1[89]\d\d|20\d\d)(?!\d)',
                      str(metadata.get(key, '')))
    if match:
      return match.group(1)
  return ''


# Over 60 lines only with its docstring (every argument documented).
def scrape(collection, output_dir, *, base_url='https://archive.org',
           preference='original', workers=4, retries=5, backoff=1.0,
           limit=0, tracklist=None, show_progress=True):
  """Lists the collection, downloads what is missing or corrupt.

  Args:
    collection: archive.org collection id (e.g. davidwnivenjazz).
    output_dir: where the audio files go.
    base_url: archive.org or a mirror with the same API.
    preference: 'original' (FLAC/WAV first) or 'mp3' (derivatives first).
    workers: downloads at once.
    retries: tries per file.
    backoff: seconds before the first retry, doubled each time.
    limit: at most this many items; 0: all.
    tracklist: CSV path to write/update with `title,year` rows.
    show_progress: draw a progress bar.

  Returns:
    {'items', 'files', 'downloaded', 'present', 'failed': [(name, error)]}.
  """
  if preference not in PREFERENCES:
    raise ValueError(f'preference must be one of {sorted(PREFERENCES)}')
  session = session_for(base_url)
  os.makedirs(output_dir, exist_ok=True)
  remotes, years = [], {}
  try:
    identifiers = list_items(session, collection)
    if limit:
      identifiers = identifiers[:limit]
    for identifier in identifiers:
      item = session.get_item(identifier)
      chosen = choose_files(identifier, item.files, PREFERENCES[preference])
      remotes += chosen
      for remote in chosen:
        years[os.path.splitext(remote.local_name)[0]] = tape_year(
            item.metadata)
  except (OSError, internetarchive.exceptions.ItemLocateError) as e:
    raise ValueError(f'cannot list {collection!r} at {base_url} '
                     f'({type(e).__name__}); check the network and '
                     '--base_url') from None
  progress = None
  if show_progress:
    import tqdm  # pylint: disable=g-import-not-at-top
    progress = tqdm.tqdm(total=sum(r.size for r in remotes), unit='B',
                         unit_scale=True, desc=collection)
  counts = {'downloaded': 0, 'present': 0}
  failed = []
  with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
    futures = {pool.submit(download, session, base_url, r, output_dir,
                           retries=retries, backoff=backoff,
                           progress=progress): r for r in remotes}
    for future in concurrent.futures.as_completed(futures):
      try:
        counts[future.result()] += 1
      except IOError as e:
        failed.append((futures[future].local_name, str(e)))
  if progress is not None:
    progress.close()
  if tracklist:
    write_tracklist(tracklist, years)
  return {'items': len(identifiers), 'files': len(remotes), **counts,
          'failed': sorted(failed)}


def write_tracklist(path, years):
  """Merges {title: year} into a `title,year` CSV (existing rows kept)."""
  rows = naming.read_tracklist(path) if os.path.exists(path) else {}
  for title, year in years.items():
    rows[title] = year or rows.get(title, '')
  naming.write_tracklist(path, rows)
