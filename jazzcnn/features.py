"""The TFRecord feature spec, shared by the records builder and every reader."""

import numpy as np
import tensorflow as tf

# The waveform is stored as little-endian int16 PCM bytes: half the size of
# float32, one `bytes_list` value to parse instead of 240000 floats, and the
# cast to float happens on the accelerator, inside the model.
WAVEFORM = 'waveform'
LABEL = 'label'  # Era index, in the order of dataset_info.json's "eras".
ERA = 'era'  # Era name, for people reading the records.
TAPE_ID = 'tape_id'  # File name without extension; splits are made by it.
OFFSET = 'offset'  # Window start, in samples at the records' sample rate,
# counted from the start of the decoded (untrimmed) tape.

WAVEFORM_DTYPE = np.dtype('<i2')

FEATURES = {
    WAVEFORM: tf.io.FixedLenFeature([], tf.string),
    LABEL: tf.io.FixedLenFeature([], tf.int64),
    ERA: tf.io.FixedLenFeature([], tf.string),
    TAPE_ID: tf.io.FixedLenFeature([], tf.string),
    OFFSET: tf.io.FixedLenFeature([], tf.int64),
}


def make_example(waveform, *, label, era, tape_id, offset):
  """Serializes one window.

  Args:
    waveform: 1-D int16 array of samples.
    label: era index.
    era: era name.
    tape_id: the tape's id (file name without extension).
    offset: first sample of the window in the decoded tape.

  Returns:
    The serialized `tf.train.Example`.
  """
  waveform = np.asarray(waveform)
  if waveform.ndim != 1 or waveform.dtype.kind != 'i' or waveform.itemsize != 2:
    raise ValueError(f'waveform must be 1-D int16, got {waveform.dtype} '
                     f'of shape {waveform.shape}')
  feature = {
      WAVEFORM: _bytes(waveform.astype(WAVEFORM_DTYPE, copy=False).tobytes()),
      LABEL: _int64(label),
      ERA: _bytes(era.encode()),
      TAPE_ID: _bytes(tape_id.encode()),
      OFFSET: _int64(offset),
  }
  example = tf.train.Example(features=tf.train.Features(feature=feature))
  return example.SerializeToString()


def parse(serialized, window_samples, keys=(WAVEFORM, LABEL)):
  """Parses one serialized example (rank 0) or a batch of them (rank 1).

  Args:
    serialized: string tensor of serialized examples.
    window_samples: samples per window (dataset_info.json's
      "window_samples"); checked at run time, so a format drift fails loudly.
    keys: which features to return.

  Returns:
    A dict of tensors; the waveform as int16 of shape [window_samples], or
    [batch, window_samples] for a batch.
  """
  spec = {k: FEATURES[k] for k in keys}
  single = serialized.shape.rank == 0
  parsed = (tf.io.parse_single_example(serialized, spec) if single else
            tf.io.parse_example(serialized, spec))
  if WAVEFORM in parsed:
    waveform = tf.io.decode_raw(parsed[WAVEFORM], tf.int16, little_endian=True)
    # Checked at run time too: records of another window length fail here.
    parsed[WAVEFORM] = tf.ensure_shape(
        waveform, [window_samples] if single else [None, window_samples])
  return parsed


def parse_single(serialized):
  """Parses one serialized example into numpy values (for tests and tools)."""
  parsed = tf.io.parse_single_example(serialized, FEATURES)
  return {
      WAVEFORM: np.frombuffer(parsed[WAVEFORM].numpy(), WAVEFORM_DTYPE),
      LABEL: int(parsed[LABEL]),
      ERA: parsed[ERA].numpy().decode(),
      TAPE_ID: parsed[TAPE_ID].numpy().decode(),
      OFFSET: int(parsed[OFFSET]),
  }


def _bytes(value):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64(value):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
