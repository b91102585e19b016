"""A GCS emulator on loopback that every client of ours can reach.

Beam's FileSystems and gcsfs use google-cloud-storage, which honours
STORAGE_EMULATOR_HOST. TensorFlow's own GCS client (tf.io.gfile,
TFRecordDataset, checkpoints) does not: its hosts are compiled in as
https://www.googleapis.com and https://storage.googleapis.com. It does go
through libcurl, which honours HTTPS_PROXY and CURL_CA_BUNDLE, and it takes
GOOGLE_AUTH_TOKEN_FOR_TESTING as its bearer token. So `FakeGcs` also runs a
proxy on loopback that answers CONNECT for those two hosts with a certificate
from a throwaway CA, and forwards each decrypted request to the emulator.
Nothing leaves the machine: the proxy refuses every other host.

  with FakeGcs(tmp_dir, bucket='jazz') as gcs:
    subprocess.run(..., env=dict(os.environ, **gcs.env))
"""

import datetime
import http.client
import http.server
import os
import socketserver
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import conftest

GOOGLE_HOSTS = ('www.googleapis.com', 'storage.googleapis.com')
# Hop-by-hop headers, and those send_response writes itself.
_NOT_FORWARDED = {'connection', 'proxy-connection', 'keep-alive', 'expect',
                  'transfer-encoding', 'content-length', 'server', 'date'}


def _write_certificates(directory):
  """A CA (returned as a PEM path) and a leaf for GOOGLE_HOSTS signed by it."""
  now = datetime.datetime.now(datetime.timezone.utc)
  ca_key = ec.generate_private_key(ec.SECP256R1())
  ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'fake-gcs CA')])
  ca = (x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True,
            content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), True)
        .sign(ca_key, hashes.SHA256()))
  key = ec.generate_private_key(ec.SECP256R1())
  leaf = (x509.CertificateBuilder()
          .subject_name(x509.Name(
              [x509.NameAttribute(NameOID.COMMON_NAME, GOOGLE_HOSTS[0])]))
          .issuer_name(ca_name)
          .public_key(key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.SubjectAlternativeName(
              [x509.DNSName(h) for h in GOOGLE_HOSTS]), False)
          .add_extension(x509.ExtendedKeyUsage(
              [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
          .sign(ca_key, hashes.SHA256()))
  paths = {name: os.path.join(directory, f'{name}.pem')
           for name in ('ca', 'leaf', 'key')}
  with open(paths['ca'], 'wb') as f:
    f.write(ca.public_bytes(serialization.Encoding.PEM))
  with open(paths['leaf'], 'wb') as f:
    f.write(leaf.public_bytes(serialization.Encoding.PEM))
  with open(paths['key'], 'wb') as f:
    f.write(key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
  return paths


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
  """CONNECT to a Google host, then HTTP/1.1 requests forwarded to the emulator."""

  protocol_version = 'HTTP/1.1'
  host = None  # Set by CONNECT.

  def log_message(self, *args):
    del args  # Quiet: `FakeGcs.tensorflow_requests` is the log.

  def do_CONNECT(self):
    host = self.path.rsplit(':', 1)[0]
    if host not in GOOGLE_HOSTS:
      self.send_error(403, f'fake_gcs proxies only {GOOGLE_HOSTS}')
      return
    self.send_response(200, 'Connection established')
    self.end_headers()
    self.connection = self.server.tls.wrap_socket(self.connection,
                                                  server_side=True)
    self.rfile = self.connection.makefile('rb')
    self.wfile = self.connection.makefile('wb')
    self.close_connection = False
    self.host = host

  def handle_expect_100(self):
    sent = super().handle_expect_100()
    self.wfile.flush()  # Or libcurl waits a second before every upload.
    return sent

  def _read_chunked(self):
    chunks = []
    while True:
      size = int(self.rfile.readline().split(b';')[0], 16)
      if not size:
        break
      chunks.append(self.rfile.read(size))
      self.rfile.readline()  # The CRLF after each chunk.
    while self.rfile.readline().strip():  # Trailers, up to a blank line.
      pass
    return b''.join(chunks)

  def _forward(self):
    if self.host is None:
      self.send_error(403, 'fake_gcs forwards only requests inside CONNECT')
      return
    self.server.requests.append((self.host, self.command, self.path))
    if 'chunked' in self.headers.get('Transfer-Encoding', ''):
      body = self._read_chunked()  # TensorFlow's uploads.
    else:
      length = int(self.headers.get('Content-Length') or 0)
      body = self.rfile.read(length) if length else None
    headers = {k: v for k, v in self.headers.items()
               if k.lower() not in _NOT_FORWARDED}
    path = self.path
    if self.command == 'POST' and 'uploadType=media' in path and not body:
      # TensorFlow's directory markers are empty media uploads, which
      # gcp-storage-emulator fails on; the same object as a multipart upload.
      path = path.replace('uploadType=media', 'uploadType=multipart')
      headers['Content-Type'] = 'multipart/related; boundary=b'
      body = (b'--b\r\nContent-Type: application/json\r\n\r\n{}\r\n'
              b'--b\r\nContent-Type: application/octet-stream\r\n\r\n'
              b'\r\n--b--\r\n')
    emulator = http.client.HTTPConnection(*self.server.emulator, timeout=60)
    try:
      emulator.request(self.command, path, body=body, headers=headers)
      response = emulator.getresponse()
      data = response.read()
    finally:
      emulator.close()
    self.send_response(response.status, response.reason)
    for key, value in response.getheaders():
      if key.lower() in _NOT_FORWARDED:
        continue
      if key.lower() == 'location' and value.startswith('http://'):
        value = 'https://' + value[len('http://'):]  # Upload sessions.
      self.send_header(key, value)
    self.send_header('Content-Length', str(len(data)))
    self.end_headers()
    if self.command != 'HEAD':
      self.wfile.write(data)

  do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _forward


class _Proxy(socketserver.ThreadingMixIn, http.server.HTTPServer):
  daemon_threads = True


class FakeGcs:
  """A started emulator with one bucket, plus the proxy for TensorFlow.

  `env` holds the variables a child process needs; they are also set in this
  process while the context is open. `bucket` is a google-cloud-storage
  Bucket; `tensorflow_requests` lists (host, method, path) of every request
  that came through the proxy, i.e. from TensorFlow.
  """

  def __init__(self, directory, bucket='jazz'):
    self._directory = directory
    self.bucket_name = bucket

  def __enter__(self):
    from gcp_storage_emulator import server as emulator
    os.makedirs(self._directory, exist_ok=True)
    certificates = _write_certificates(self._directory)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(certificates['leaf'], certificates['key'])
    port, = conftest.free_ports(1)
    self._emulator = emulator.create_server(
        '127.0.0.1', port, in_memory=True, default_bucket=self.bucket_name)
    self._emulator.start()
    self._proxy = _Proxy(('127.0.0.1', 0), _ProxyHandler)
    self._proxy.emulator = ('127.0.0.1', port)
    self._proxy.tls = tls
    self._proxy.requests = self.tensorflow_requests = []
    threading.Thread(target=self._proxy.serve_forever, daemon=True).start()
    proxy = f'http://127.0.0.1:{self._proxy.server_address[1]}'
    # Everything a child process needs to reach the fake through every client.
    self.env = {
        'STORAGE_EMULATOR_HOST': f'http://127.0.0.1:{port}',
        'HTTPS_PROXY': proxy, 'https_proxy': proxy,
        'NO_PROXY': '127.0.0.1,localhost', 'no_proxy': '127.0.0.1,localhost',
        'CURL_CA_BUNDLE': certificates['ca'],
        'GOOGLE_AUTH_TOKEN_FOR_TESTING': 'fake-gcs-token',
        'NO_GCE_CHECK': 'true',
    }
    self._saved = {k: os.environ.get(k) for k in self.env}
    os.environ.update(self.env)
    from google.cloud import storage
    self.bucket = storage.Client.create_anonymous_client().bucket(
        self.bucket_name)
    return self

  def __exit__(self, *exc):
    for key, value in self._saved.items():
      if value is None:
        os.environ.pop(key, None)
      else:
        os.environ[key] = value
    self._proxy.shutdown()
    self._proxy.server_close()
    self._emulator.stop()
