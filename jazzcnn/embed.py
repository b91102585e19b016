"""Style embeddings of tapes and how alike they are: the seed's comparison.

  python -m jazzcnn.embed --model_dir=runs/NAME tapes/ --output=styles/

Files, globs and directories (their audio files at any depth).

Writes embeddings.npy (one row per tape: the penultimate layer averaged over
its windows), tapes.json (ids, paths, predicted eras, nearest neighbours),
similarity.csv (cosine) and projection.png (PCA, coloured by era).
"""

import csv
import io
import posixpath
import sys

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from jazzcnn import cli
from jazzcnn import metrics
from jazzcnn import naming
from jazzcnn import outputs
from jazzcnn import plots
from jazzcnn import predict_lib
from jazzcnn import export
from jazzcnn import provenance

_MODEL_DIR = flags.DEFINE_string('model_dir', None,
                                 'Model dir written by jazzcnn.train.')
_OUTPUT = flags.DEFINE_string(
    'output', None, 'Directory for the results: embeddings.npy, tapes.json, '
    'similarity.csv, projection.png and, with --tracklist, knn.json (a '
    'knn.json of an earlier run is removed without it).')
_TRIM_SECONDS = flags.DEFINE_float(
    'trim_seconds', -1.0, 'Seconds skipped at both ends of each file; -1: as '
    'the training records were trimmed (eras.json); 0: nothing.')
_NEIGHBOURS = flags.DEFINE_integer('neighbours', 3,
                                   'Nearest neighbours listed per tape.',
                                   lower_bound=0)
_TRACKLIST = flags.DEFINE_string(
    'tracklist', '', 'Optional "title,year" CSV: colour tapes by their '
    'labelled era rather than the predicted one.')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 16, 'Windows per batch.',
                                   lower_bound=1)


def _embed_files(model, meta, files):
  """(names, paths, vectors, predicted eras, failures) of the usable files.

  A file that cannot be used gets an error line on stderr; the rest run.
  """
  names, paths, vectors, predicted, failed = [], [], [], [], 0
  for path in cli.progress(files, unit='file'):
    why = predict_lib.problem(path)
    if why:
      print(predict_lib.error_line(path, why), file=sys.stderr)
      failed += 1
      continue
    try:
      vector, probs, _ = predict_lib.embed_file(
          model, meta, path, trim_seconds=_TRIM_SECONDS.value,
          batch_size=_BATCH_SIZE.value)
    except predict_lib.FILE_ERRORS as e:
      print(predict_lib.error_line(path, predict_lib.reason(e)),
            file=sys.stderr)
      failed += 1
      continue
    names.append(naming.tape_id(path))
    paths.append(path)
    vectors.append(vector)
    predicted.append(meta['eras'][int(probs.argmax())])
  return names, paths, vectors, predicted, failed


def _write_tables(out, names, paths, vectors, predicted, labels, similarity,
                  neighbours, heard):
  """embeddings.npy, tapes.json and similarity.csv under `out`."""
  npy = io.BytesIO()
  np.save(npy, vectors)
  outputs.write(posixpath.join(out, 'embeddings.npy'), npy.getvalue())
  # `era`: the track list's label (an era, or why it has none); null without
  # --tracklist or for an unlisted tape. `heard_in_training`: whether the
  # model was fitted or chosen on it (null for an older export).
  outputs.write_json(posixpath.join(out, 'tapes.json'), [
      {'tape': n, 'path': p, 'predicted_era': e, 'era': labels.get(n),
       'heard_in_training': h, 'neighbours': neighbours[n]}
      for n, p, e, h in zip(names, paths, predicted, heard)])
  table = io.StringIO()
  writer = csv.writer(table)
  writer.writerow([''] + names)
  for name, row in zip(names, similarity):
    writer.writerow([name] + [f'{v:.4f}' for v in row])
  outputs.write(posixpath.join(out, 'similarity.csv'), table.getvalue())


def main(argv):
  if not _MODEL_DIR.value or not _OUTPUT.value:
    raise app.UsageError('--model_dir and --output are required')
  if len(argv) < 2:
    raise app.UsageError('name at least one audio file, glob or directory')
  cli.makedirs(_OUTPUT.value, '--output')
  try:
    model, meta = export.load_exported(_MODEL_DIR.value)
    eras = meta['eras']
    labels = {}
    if _TRACKLIST.value:
      era_list = [naming.Era(n, *meta['era_years'][n]) for n in eras]
      labels = {t: naming.label(t, y, era_list).status for t, y in
                naming.read_tracklist(_TRACKLIST.value).items()}
  except (ValueError, OSError) as e:
    raise app.UsageError(str(e))
  files = predict_lib.expand(argv[1:])
  names, paths, vectors, predicted, failed = _embed_files(model, meta, files)
  if not vectors:
    raise app.UsageError(f'no file could be embedded ({failed} of '
                         f'{len(files)} failed, ERROR above)')
  vectors = np.stack(vectors)
  similarity = predict_lib.cosine_similarity(vectors)
  neighbours = predict_lib.nearest(similarity, names, _NEIGHBOURS.value)
  out = _OUTPUT.value
  heard = [provenance.fitted_on_tape(meta, n) for n in names]
  _write_tables(out, names, paths, vectors, predicted, labels, similarity,
                neighbours, heard)
  plots.projection_png(predict_lib.project_2d(vectors), names,
                       [labels.get(n) for n in names], predicted, eras,
                       posixpath.join(out, 'projection.png'))
  for name in names:
    near = ', '.join(f'{n} ({s:.3f})' for n, s in neighbours[name])
    print(f'{name}: {near or "(no other file to compare)"}')
  knn = posixpath.join(out, 'knn.json')
  if labels:
    era_of = [labels.get(n) if labels.get(n) in eras else None for n in names]
    agreement = {
        f'{k}nn{suffix}': metrics.knn_agreement(
            similarity, era_of, k=k,
            groups=[naming.artist(n) for n in names] if suffix else None)
        for k in (1, 5) for suffix in ('', '_other_artists')}
    if None not in heard:  # Queries the model never heard: held out.
      agreement.update({
          f'{k}nn_held_out': metrics.knn_agreement(
              similarity, era_of, k=k, queried=[not h for h in heard])
          for k in (1, 5)})
    outputs.write_json(knn, agreement)
    print('nearest-neighbour era agreement of the labelled tapes (leave one '
          'out): ' + ', '.join(f'{k} {v:.3f}' if v is not None else f'{k} -'
                               for k, v in agreement.items()))
  elif tf.io.gfile.exists(knn):  # An earlier run's, of other tapes.
    tf.io.gfile.remove(knn)
  print(f'wrote {len(names)} embeddings to {out}')
  if failed:
    print(predict_lib.failures(failed, len(files)), file=sys.stderr)
    sys.exit(1)


if __name__ == '__main__':
  cli.run(main)
