"""The scraper against a local server that speaks archive.org's API."""

import csv
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.parse

import pytest

from beam_pipelines import scrape_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeArchive:
  """Items, files and faults of a fake archive.org."""

  def __init__(self):
    self.items = {}  # identifier → (metadata, {name: (format, bytes)})
    self.corrupt_once = set()  # File names served wrong the first time.
    self.cut_once = set()  # File names cut off half-way the first time.
    self.requests = []  # (path, Range header)

  def add(self, identifier, date, files):
    self.items[identifier] = ({'identifier': identifier, 'date': date}, files)


def _handler(archive):

  class Handler(http.server.BaseHTTPRequestHandler):

    def log_message(self, *args):
      del args

    def _json(self, obj):
      body = json.dumps(obj).encode()
      self.send_response(200)
      self.send_header('Content-Type', 'application/json')
      self.send_header('Content-Length', str(len(body)))
      self.end_headers()
      self.wfile.write(body)

    def do_POST(self):  # The scrape API, two items a page.
      url = urllib.parse.urlsplit(self.path)
      assert url.path == '/services/search/v1/scrape', url.path
      query = urllib.parse.parse_qs(url.query)
      assert query['q'] == ['collection:davidwnivenjazz']
      ids = sorted(archive.items)
      start = int(query.get('cursor', ['0'])[0])
      page = {'items': [{'identifier': i} for i in ids[start:start + 2]],
              'count': len(ids[start:start + 2]), 'total': len(ids)}
      if start + 2 < len(ids):
        page['cursor'] = str(start + 2)
      self._json(page)

    def do_GET(self):
      path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
      archive.requests.append((path, self.headers.get('Range')))
      if path.startswith('/metadata/'):
        metadata, files = archive.items[path.split('/')[2]]
        self._json({'metadata': metadata, 'files': [
            {'name': n, 'format': fmt, 'size': str(len(data)),
             'md5': hashlib.md5(data).hexdigest(), 'source': 'original'}
            for n, (fmt, data) in files.items()]})
        return
      _, _, identifier, name = path.split('/', 3)
      data = archive.items[identifier][1][name][1]
      start = 0
      if self.headers.get('Range'):
        start = int(self.headers['Range'].split('=')[1].split('-')[0])
      if start >= len(data):
        self.send_response(416)
        self.end_headers()
        return
      self.send_response(206 if start else 200)
      self.send_header('Content-Length', str(len(data) - start))
      self.end_headers()
      if name in archive.corrupt_once:
        archive.corrupt_once.discard(name)
        self.wfile.write(bytes(len(data) - start))  # Right length, wrong bytes.
      elif name in archive.cut_once:
        archive.cut_once.discard(name)
        self.wfile.write(data[start:len(data) // 2])
        self.wfile.flush()
        self.connection.shutdown(2)  # Hang up half-way.
        self.close_connection = True
      else:
        self.wfile.write(data[start:])

  return Handler


@pytest.fixture
def archive():
  fake = FakeArchive()
  server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _handler(fake))
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  fake.url = f'http://127.0.0.1:{server.server_address[1]}'
  yield fake
  server.shutdown()


def _corpus(archive):
  blob = lambda seed: hashlib.sha256(str(seed).encode()).digest() * 4000
  archive.add('Kid_Ory_Tape_1_1925', '1925', {
      'Kid_Ory_Tape_1_1925.flac': ('Flac', blob(1)),
      'Kid_Ory_Tape_1_1925.mp3': ('VBR MP3', blob(2)[:50000]),
      'Kid_Ory_Tape_1_1925_meta.xml': ('Metadata', b'<xml/>')})
  archive.add('Duke_Tape_2_1940', '1940-05-01', {
      'Duke_Tape_2_1940.mp3': ('VBR MP3', blob(3))})
  archive.add('Odd_Tape', 'unknown', {
      'side a/Odd Tape?.mp3': ('VBR MP3', blob(4)[:1000]),
      '../../escape/evil.mp3': ('VBR MP3', b'gotcha')})


def test_downloads_verifies_resumes_and_reruns_idempotently(archive, tmp_path):
  _corpus(archive)
  archive.corrupt_once.add('Kid_Ory_Tape_1_1925.flac')
  archive.cut_once.add('Duke_Tape_2_1940.mp3')
  out = tmp_path / 'tapes'
  summary = scrape_lib.scrape(
      'davidwnivenjazz', str(out), base_url=archive.url, retries=3,
      backoff=0.01, tracklist=str(out / 'tracklist.csv'), show_progress=False)
  assert summary == {'items': 3, 'files': 3, 'downloaded': 3, 'present': 0,
                     'failed': []}
  # The FLAC original was preferred; the corrupted copy was fetched again.
  assert sorted(os.listdir(out)) == [
      'Duke_Tape_2_1940.mp3', 'Kid_Ory_Tape_1_1925.flac', 'Odd_Tape_.mp3',
      'tracklist.csv']
  for name in ('Kid_Ory_Tape_1_1925.flac', 'Duke_Tape_2_1940.mp3'):
    identifier = name.rsplit('.', 1)[0]
    expected = archive.items[identifier][1][name][1]
    assert (out / name).read_bytes() == expected
  # The cut download resumed from where it stopped, with a Range request.
  ranges = [r for p, r in archive.requests if p.endswith('Duke_Tape_2_1940.mp3')]
  half = len(archive.items['Duke_Tape_2_1940'][1]['Duke_Tape_2_1940.mp3'][1]) // 2
  assert len(ranges) == 2 and ranges[0] is None
  resumed_at = int(ranges[1][len('bytes='):-1])
  assert 0 < resumed_at <= half  # What arrived before the cut was kept.
  assert not (tmp_path / 'escape').exists()  # No path traversal...
  assert not any('evil' in p for p, _ in archive.requests)  # ...not even asked.
  rows = list(csv.DictReader(open(out / 'tracklist.csv')))
  assert {r['title']: r['year'] for r in rows} == {
      'Duke_Tape_2_1940': '1940', 'Kid_Ory_Tape_1_1925': '1925',
      'Odd_Tape_': ''}
  # A second run fetches nothing; a file damaged on disk is fetched again.
  (out / 'Duke_Tape_2_1940.mp3').write_bytes(b'damaged')
  archive.requests.clear()
  again = scrape_lib.scrape('davidwnivenjazz', str(out), base_url=archive.url,
                            backoff=0.01, show_progress=False)
  assert (again['downloaded'], again['present']) == (1, 2)
  downloads = [p for p, _ in archive.requests if p.startswith('/download/')]
  assert downloads == ['/download/Duke_Tape_2_1940/Duke_Tape_2_1940.mp3']


def test_mp3_preference_and_a_file_that_never_verifies(archive, tmp_path):
  _corpus(archive)
  for _ in range(5):
    archive.corrupt_once.add('Duke_Tape_2_1940.mp3')
  out = tmp_path / 'tapes'
  summary = scrape_lib.scrape('davidwnivenjazz', str(out), base_url=archive.url,
                              preference='mp3', retries=1, backoff=0.01,
                              show_progress=False)
  assert summary['failed'][0][0] == 'Duke_Tape_2_1940.mp3'
  assert 'MD5' in summary['failed'][0][1]
  assert sorted(os.listdir(out)) == ['Kid_Ory_Tape_1_1925.mp3', 'Odd_Tape_.mp3']


@pytest.mark.parametrize('name,safe', [
    ('a/b/Tape_1.mp3', 'Tape_1.mp3'), ('..\\..\\x.flac', 'x.flac'),
    ('Duke\'s Tape #1.mp3', "Duke's_Tape__1.mp3"), ('.hidden.mp3', 'hidden.mp3'),
])
def test_safe_names(name, safe):
  assert scrape_lib.safe_name(name) == safe


def test_scrape_command(archive, tmp_path):
  _corpus(archive)
  out = tmp_path / 'cli'
  result = subprocess.run(
      [sys.executable, '-m', 'beam_pipelines.scrape', f'--base_url={archive.url}',
       f'--output={out}', '--prefer=mp3', '--limit=2'], cwd=ROOT,
      capture_output=True, text=True, timeout=120)
  assert result.returncode == 0, result.stderr[-2000:]
  assert json.loads(result.stdout)['files'] == 2
  assert (out / 'tracklist.csv').exists()
  bad = subprocess.run([sys.executable, '-m', 'beam_pipelines.scrape',
                        '--base_url=ftp://x'], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
  assert bad.returncode != 0 and 'http(s)://' in bad.stderr
