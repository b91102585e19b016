"""Whole files' predictions, and similarity and neighbours of embeddings."""

import keras
import numpy as np
import pytest
import soundfile

from jazzcnn import audio
from jazzcnn import models
from jazzcnn import naming
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
  (tmp_path / 'empty').mkdir()
  paths = predict_lib.expand([str(tape), str(tmp_path / 'empty'),
                              str(tmp_path / 'no.mp3'), str(tmp_path / '*.flac')])
  assert [predict_lib.problem(p) for p in paths] == [
      None, 'holds no MP3/FLAC/OGG/Opus/WAV/AIFF files', 'no such file',
      'matched no files']


def test_file_names_with_glob_characters_are_files(tmp_path):
  # 'Song [Live].flac' is a file, named, in a folder or matched by a glob:
  # [Live] is no character class when the file is there.
  for name in ('Song [Live].flac', 'sub [x]/What?.wav', 'sub [x]/L.flac'):
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(b'')
  root = str(tmp_path)
  live, what = f'{root}/Song [Live].flac', f'{root}/sub [x]/What?.wav'
  assert predict_lib.expand([live]) == [live]
  assert predict_lib.expand([f'{root}/*.flac']) == [live]
  assert predict_lib.expand([root]) == [live, f'{root}/sub [x]/L.flac', what]
  assert [predict_lib.problem(p) for p in (live, what)] == [None, None]
  assert predict_lib.problem(f'{root}/Song [Live].mp3') == (
      'no such file, and no file matches it as a glob')
  assert predict_lib.problem(f'{root}/Song*.mp3') == 'matched no files'
  # A glob in a folder named with brackets: that folder's files, not a
  # character class (which would match a folder 'sub x').
  (tmp_path / 'sub x').mkdir()
  (tmp_path / 'sub x' / 'other.flac').write_bytes(b'')
  assert predict_lib.expand([f'{root}/sub [x]/*.flac']) == [
      f'{root}/sub [x]/L.flac']
  assert predict_lib.expand([f'{root}/sub [xy]/*.flac']) == [
      f'{root}/sub x/other.flac']


def test_a_directory_is_its_audio_files_at_any_depth(tmp_path):
  for name in ('b.wav', 'notes.txt', 'sub/c.MP3', 'sub/deeper/a.flac',
               'sub/a.mp3', 'sub/b.ogg',  # Other files of tapes a and b.
               'sub/d.opus', 'sub/e.m4a', 'sub/c.m4a'):
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(b'')
  root = str(tmp_path)
  paths = predict_lib.expand([root, f'{root}/b.wav'])
  assert paths == [
      f'{root}/b.wav', f'{root}/sub/c.MP3', f'{root}/sub/d.opus',
      f'{root}/sub/deeper/a.flac', f'{root}/sub/e.m4a']
  # Audio of a format not decoded here is listed, to fail by name.
  assert predict_lib.problem(paths[-1]) == naming.undecoded_reason(paths[-1])
  assert predict_lib.problem(paths[-1]).startswith('M4A is not decoded here')


def _loudness_model(window):
  """Era 'loud' for windows with sound, from their mean absolute level."""
  pcm = keras.Input((window,), dtype='int16')
  level = keras.ops.mean(keras.ops.abs(keras.ops.cast(pcm, 'float32')),
                         axis=1, keepdims=True)
  embedding = keras.layers.Identity(name=models.EMBEDDING)(
      keras.ops.log(level + 1.0))
  model = keras.Model(pcm, keras.layers.Dense(2, activation='softmax')(
      embedding))
  model.layers[-1].set_weights([np.array([[-1.0, 1.0]], np.float32),
                                np.array([4.0, -4.0], np.float32)])
  return model


def test_predict_skips_silent_windows_as_the_builder_drops_them(tmp_path):
  rate, window = 16000, 16000
  meta = {'eras': ['quiet', 'loud'], 'sample_rate': rate,
          'window_samples': window, 'hop_samples': window,
          'trim_seconds': 0.0}  # No silence_peak: records built before it.
  model = _loudness_model(window)
  tone = (3000 * np.sin(np.arange(window) / 5)).astype(np.int16)
  silence = np.zeros(window, np.int16)
  path = str(tmp_path / 'gap.wav')
  soundfile.write(path, np.concatenate([tone, silence, silence, tone]), rate,
                  subtype='PCM_16')
  result = predict_lib.predict_file(model, meta, path)
  assert result['silent_windows'] == 2
  assert [w['start_seconds'] for w in result['timeline']] == [0.0, 3.0]
  assert result['era'] == 'loud' and result['probabilities']['loud'] > 0.9
  assert result['heard_in_training'] is None  # The export does not say.
  for fitted, heard in ((['gap', 'other'], True), (['gap2'], False)):
    fitted_on = {'tape_ids': fitted, 'groups': [], 'split_by': 'tape'}
    assert predict_lib.predict_file(model, {**meta, 'fitted_on': fitted_on},
                                    path)['heard_in_training'] is heard
  vector, probs, heard = predict_lib.embed_file(model, meta, path)
  assert heard == 2 and probs.argmax() == 1
  np.testing.assert_allclose(vector, np.log(np.abs(tone.astype(np.float32))
                                            .mean() + 1.0), rtol=1e-5)
  # A file of silence: one error, not a confident era.
  path = str(tmp_path / 'silent.wav')
  soundfile.write(path, np.zeros(3 * window, np.int16), rate,
                  subtype='PCM_16')
  for run in (predict_lib.predict_file, predict_lib.embed_file):
    with pytest.raises(audio.AudioError, match=r'every window \(3\) is '
                       'digital silence') as error:
      run(model, meta, path)
    assert error.value.reason == audio.SILENT
  # silence_peak -1 (built keeping silence): every window is heard.
  result = predict_lib.predict_file(model, {**meta, 'silence_peak': -1}, path)
  assert result['silent_windows'] == 0 and len(result['timeline']) == 3
  assert result['era'] == 'quiet'


def test_a_file_too_short_for_the_training_trims_says_how_to_read_it(
    tmp_path):
  rate = 16000
  meta = {'eras': ['quiet', 'loud'], 'sample_rate': rate,
          'window_samples': rate, 'hop_samples': rate, 'trim_seconds': 2.0}
  path = str(tmp_path / 'song.wav')
  tone = (3000 * np.sin(np.arange(4 * rate) / 5)).astype(np.int16)
  soundfile.write(path, tone, rate, subtype='PCM_16')
  model = _loudness_model(rate)
  with pytest.raises(audio.AudioError) as error:
    predict_lib.predict_file(model, meta, path)
  assert error.value.reason == audio.TOO_SHORT
  assert str(error.value) == (
      'too_short: 4.0 s leaves no 1 s window once 2 s are trimmed from each '
      'end, as in training (--trim_seconds=0 reads the whole file)')
  result = predict_lib.predict_file(model, meta, path, trim_seconds=0)
  assert len(result['timeline']) == 4


def test_projection_spreads_points_only_where_they_differ():
  rng = np.random.default_rng(0)
  a, b = rng.normal(size=(2, 64)).astype(np.float32)
  xy = predict_lib.project_2d(np.stack([a, b]))
  assert xy[:, 1].tolist() == [0.0, 0.0]  # Two points span one direction.
  np.testing.assert_allclose(abs(xy[0, 0] - xy[1, 0]), np.linalg.norm(a - b),
                             rtol=1e-5)
  three = predict_lib.project_2d(rng.normal(size=(3, 64)))
  assert (np.abs(three) > 1e-3).any(axis=0).all()  # Both axes used.
  assert predict_lib.project_2d(np.stack([a, a, a])).tolist() == [[0, 0]] * 3
