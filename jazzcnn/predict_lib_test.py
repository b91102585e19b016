"""Similarity and neighbours of style embeddings."""

import numpy as np

from jazzcnn import predict_lib


def test_an_identical_tape_outranks_a_near_one():
  # A barely trained model: embeddings differ by parts per million.
  rng = np.random.default_rng(0)
  tape = rng.random(64).astype(np.float32) * 0.02
  near = tape.copy()
  near[::2] *= np.float32(1 + 3e-6)
  near[1::2] *= np.float32(1 - 3e-6)
  vectors = np.stack([tape, near, tape.copy()])
  similarity = predict_lib.cosine_similarity(vectors)
  assert similarity.dtype == np.float64
  assert similarity[0, 2] > similarity[0, 1]
  neighbours = predict_lib.nearest(similarity, ['tape', 'near', 'copy'])
  assert [n for n, _ in neighbours['tape']] == ['copy', 'near']
  assert abs(neighbours['tape'][0][1] - 1) < 1e-12


def test_cosine_of_orthogonal_and_zero_rows():
  similarity = predict_lib.cosine_similarity(
      np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]))
  np.testing.assert_allclose(similarity, [[1, 0, 0], [0, 1, 0], [0, 0, 0]])


def test_missing_files_directories_and_empty_globs_are_named(tmp_path):
  tape = tmp_path / 'a.wav'
  tape.write_bytes(b'RIFF')
  paths = predict_lib.expand([str(tape), str(tmp_path), str(tmp_path / 'no.mp3'),
                              str(tmp_path / '*.flac')])
  assert [predict_lib.problem(p) for p in paths] == [
      None, 'is a directory: name its files or a glob such as DIR/*.mp3',
      'no such file', 'matched no files']
