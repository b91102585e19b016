"""Era probabilities and style embeddings of whole audio files."""

import functools
import posixpath

import keras
import numpy as np
import tensorflow as tf

from jazzcnn import audio
from jazzcnn import dataset_info
from jazzcnn import globs
from jazzcnn import models
from jazzcnn import naming
from jazzcnn import provenance


def expand(patterns):
  """Files named or matched by the arguments, in order, without repeats: a
  directory (its audio files at any depth, one a tape, as the records
  builder reads a folder of tapes; files of audio formats not decoded here
  stay, to fail one by one in `problem`), a file (its name may hold `[`,
  `?` or `*`, as 'Song [Live].flac' does), or else a glob (whose folders'
  names may hold them too: 'tapes [2024]/*.flac')."""
  paths = []
  for pattern in patterns:
    if tf.io.gfile.isdir(pattern):
      matches = sorted(naming.one_file_per_tape(
          posixpath.join(parent, name)
          for parent, _, names in tf.io.gfile.walk(pattern)
          for name in names
          if naming.is_audio(name) or naming.is_undecoded(name)).values())
    elif globs.is_glob(pattern) and not tf.io.gfile.exists(pattern):
      matches = sorted(tf.io.gfile.glob(
          globs.with_literal_folder(pattern, tf.io.gfile.isdir)))
    else:
      matches = [pattern]
    # A pattern that matches nothing stays, to fail per file (`problem`).
    paths += [p for p in matches or [pattern] if p not in paths]
  return paths


def problem(path):
  """Why `path` (from `expand`) cannot be read as audio, or None."""
  if not tf.io.gfile.exists(path):
    if any(c in path for c in '*?'):
      return 'matched no files'
    # '[x]' may be part of a name or a character class: either way, none.
    return ('no such file, and no file matches it as a glob'
            if globs.is_glob(path) else 'no such file')
  if tf.io.gfile.isdir(path):
    return f'holds no {naming.AUDIO_FORMATS} files'
  if naming.is_undecoded(path):
    return naming.undecoded_reason(path)
  return None


# What using one file can raise, past `problem`: `predict` and `embed` report
# it against the file and go on with the others.
FILE_ERRORS = (audio.AudioError, OSError, tf.errors.OpError)


def error_line(path, message):
  """The stderr line of `predict` or `embed` for a file that failed."""
  return f'{path}: ERROR {message}'


def reason(error):
  """The message of one of FILE_ERRORS (an OpError's, without its op)."""
  return getattr(error, 'message', None) or str(error)


def failures(failed, total, *, json_lines=False):
  """The last line of `predict` or `embed` when `failed` of the `total`
  files from `expand` failed, each on an ERROR line of its own, or, with
  `json_lines`, in the `error` field of its JSON line on stdout."""
  where = "'error' in its JSON line" if json_lines else 'ERROR above'
  return f'{failed} of {total} files failed ({where})'


def windowing(meta, *, trim_seconds=-1.0, hop_seconds=0.0):
  """The decoder settings of an exported model (eras.json), as trained.

  trim_seconds < 0 trims what the training records trimmed; hop_seconds 0
  hops as they did.
  """
  rate = meta['sample_rate']
  trim = meta.get('trim_seconds', 0.0) if trim_seconds < 0 else trim_seconds
  return audio.Windowing(
      sample_rate=rate, window=meta['window_samples'],
      hop=round(hop_seconds * rate) if hop_seconds else meta['hop_samples'],
      trim=round(trim * rate))


def batched_windows(path, windowing_, *, batch_size=16, silence_peak=-1,
                    silent=None):
  """Yields (offsets [b], int16 windows [b, window]) of a file, streamed.

  Decoded by the records builder's code, so a file is heard as in training;
  windows of digital silence (`audio.is_silent` with `silence_peak`; -1:
  none) are skipped, as the builder drops them, and their offsets appended
  to the list `silent` when given.

  Raises:
    audio.AudioError: for files that cannot be used (probed first).
  """
  with tf.io.gfile.GFile(path, 'rb') as f:
    info = audio.probe(f)
    f.seek(0)
    w = windowing_
    if w.trim:  # Niven's records trim 300 s: say how to read all of it.
      w.check_fits(info, ', as in training (--trim_seconds=0 reads the '
                   'whole file)')
    offsets, windows = [], []
    for offset, window in audio.stream_windows(f, windowing_):
      if audio.is_silent(window, silence_peak):
        if silent is not None:
          silent.append(offset)
        continue
      offsets.append(offset)
      windows.append(window)
      if len(windows) == batch_size:
        yield np.array(offsets), np.stack(windows)
        offsets, windows = [], []
    if windows:
      yield np.array(offsets), np.stack(windows)


def predict_file(model, meta, path, *, trim_seconds=-1.0, hop_seconds=0.0,
                 batch_size=16):
  """The era probabilities of a whole file and of each of its windows.

  Windows of digital silence are skipped, as in training, and counted.

  Returns:
    {'path', 'era', 'probabilities': {era: p} (mean over windows),
     'timeline': [{'start_seconds', 'era', 'probabilities'}],
     'silent_windows': windows skipped, 'heard_in_training': whether the
     model was fitted or chosen on a tape of this name (None for an export
     older than `provenance.fitted_on`)}.

  Raises:
    audio.AudioError: for files that cannot be used; SILENT when every
      window is digital silence.
  """
  eras, rate = meta['eras'], meta['sample_rate']
  timeline, all_probs, silent = [], [], []
  for offsets, windows in heard_batches(
      path, meta, silent, trim_seconds=trim_seconds, hop_seconds=hop_seconds,
      batch_size=batch_size):
    probs = models.inference_fn(model)(windows).numpy()
    all_probs.append(probs)
    for offset, p in zip(offsets, probs):
      timeline.append({'start_seconds': round(offset / rate, 3),
                       'era': eras[int(p.argmax())],
                       'probabilities': _by_era(p, eras)})
  mean = np.concatenate(all_probs).mean(axis=0)
  return {'path': path, 'era': eras[int(mean.argmax())],
          'probabilities': _by_era(mean, eras), 'timeline': timeline,
          'silent_windows': len(silent),
          'heard_in_training': provenance.fitted_on_tape(
              meta, naming.tape_id(path))}


def heard_batches(path, meta, silent, *, trim_seconds, hop_seconds,
                   batch_size):
  """`batched_windows` of a file as an exported model (eras.json `meta`)
  was trained to hear it: its windowing (`windowing`), and its digital
  silence skipped, the offsets appended to the list `silent`.

  Raises:
    audio.AudioError: as `batched_windows`; SILENT, after the last window,
      when every window was silence.
  """
  peak = dataset_info.silence_peak(meta)
  heard = False
  for batch in batched_windows(
      path, windowing(meta, trim_seconds=trim_seconds, hop_seconds=hop_seconds),
      batch_size=batch_size, silence_peak=peak, silent=silent):
    heard = True
    yield batch
  if not heard:
    raise audio.AudioError(
        audio.SILENT, f'every window ({len(silent)}) is digital silence (no '
        f'sample beyond ±{peak}): nothing to hear')


def embed_file(model, meta, path, *, trim_seconds=-1.0, hop_seconds=0.0,
               batch_size=16):
  """A file's style embedding: the penultimate layer averaged over windows.

  Windows of digital silence are skipped, as in training.

  Returns:
    (embedding [dim], mean era probabilities [eras], windows heard).

  Raises:
    audio.AudioError: as `predict_file`.
  """
  both = _with_embedding(model)
  embeddings, probs = [], []
  for _, windows in heard_batches(
      path, meta, [], trim_seconds=trim_seconds, hop_seconds=hop_seconds,
      batch_size=batch_size):
    embedding, prob = models.inference_fn(both)(windows)
    embeddings.append(embedding.numpy())
    probs.append(prob.numpy())
  embeddings = np.concatenate(embeddings)
  return (embeddings.mean(axis=0), np.concatenate(probs).mean(axis=0),
          len(embeddings))


@functools.lru_cache(maxsize=4)
def _with_embedding(model):
  """One model, two outputs: the style embedding and the era probabilities."""
  embedding = models.embedding_model(model).output
  return keras.Model(model.inputs, [embedding, model.output])


def cosine_similarity(vectors):
  """[n, n] cosine similarities of the rows of `vectors`, in float64.

  float64, because embeddings of a barely trained model can differ by less
  than float32 resolves near 1, which would let a mere neighbour tie with an
  identical tape.
  """
  vectors = np.asarray(vectors, np.float64)
  norms = np.linalg.norm(vectors, axis=1, keepdims=True)
  unit = vectors / np.maximum(norms, 1e-12)
  return unit @ unit.T


def nearest(similarity, names, k=3):
  """{name: [(neighbour, similarity)] best first}, excluding itself."""
  out = {}
  for i, name in enumerate(names):
    order = [j for j in np.argsort(-similarity[i]) if j != i][:k]
    out[name] = [(names[j], float(similarity[i, j])) for j in order]
  return out


def project_2d(vectors):
  """PCA to two dimensions: zeros along a direction the points do not
  spread in (two points span one; rounding leaves ~1e-7 there)."""
  centred = vectors - vectors.mean(axis=0)
  if len(vectors) < 2:
    return np.zeros((len(vectors), 2))
  u, s, _ = np.linalg.svd(centred, full_matrices=False)
  spread = s[:2] > 1e-5 * np.linalg.norm(vectors)  # Beyond float rounding.
  xy = u[:, :2] * np.where(spread, s[:2], 0)
  return np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))


def _by_era(p, eras):
  return {e: round(float(v), 6) for e, v in zip(eras, p)}
