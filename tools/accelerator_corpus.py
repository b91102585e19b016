r"""A K-fold corpus as musicnn spectrograms, for a machine without TensorFlow.

  python tools/accelerator_corpus.py --out=.accel \
      check_records_0/ check_records_1/ ... check_records_4/

`tools/accelerator_train.py` trains musicnn (fine-tuned whole, or frozen as
`flags/cpu.cfg` has it) and the short-chunk ResNet on an accelerator that
has JAX but no TensorFlow, and whose transfers are capped at 64 MiB: the
raw windows of a 3-hour corpus (~330 MB) do not fit, their spectrograms in
8 bits do. This runs here, with the project's own code: every window of
the folds' records (the folds hold the same windows, split differently)
goes through musicnn's front end (`models/musicnn.frontend`: kapre's STFT
and Slaney mel, log10(1 + 10^4 x)), and the pretrained weights are read
from the musicnn wheel's checkpoint (`models/musicnn.load_pretrained`).

Writes into --out:
  corpus.npz (compressed: ~52 MB for 681 windows): spectrogram uint8
    [windows, frames, 96] (value = code * scale),
    scale, label [windows], tape_id [windows], split [folds, windows]
    (0 train, 1 validation, 2 test), eras.
  musicnn_msd.npz: each pretrained layer's weights, `<layer>/<index>`.
"""

import argparse
import io
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import keras  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

from jazzcnn import dataset_info
from jazzcnn import features
from jazzcnn import input_pipeline
from jazzcnn import models
from jazzcnn import outputs
from jazzcnn.models import musicnn

SPLITS = dataset_info.SPLITS  # train, validation, test: codes 0, 1, 2.


def windows(data_dir, info):
  """(pcm int16 [N, samples], label, tape id, offset [N]), every split."""
  keys = (features.WAVEFORM, features.LABEL, features.TAPE_ID,
          features.OFFSET)
  pcm, labels, tapes, offsets = [], [], [], []
  for split in SPLITS:
    ds = input_pipeline.create_dataset(data_dir, split, info=info,
                                       batch_size=32, training=False,
                                       keys=keys)
    for batch in ds:
      pcm.append(batch[features.WAVEFORM].numpy())
      labels.append(batch[features.LABEL].numpy())
      tapes.extend(t.decode() for t in batch[features.TAPE_ID].numpy())
      offsets.append(batch[features.OFFSET].numpy())
  return (np.concatenate(pcm), np.concatenate(labels), np.array(tapes),
          np.concatenate(offsets))


def spectrograms(pcm, batch=32):
  """float32 [N, frames, 96]: musicnn's front end over whole windows."""
  inputs = keras.Input((pcm.shape[1],), dtype='int16')
  front = keras.Model(inputs, musicnn.frontend(inputs))
  return np.concatenate([front.predict_on_batch(pcm[i:i + batch])[..., 0]
                         for i in range(0, len(pcm), batch)])


def quantize(x):
  """(uint8 codes, scale): x ≈ codes * scale, x ≥ 0 (log10(1 + 10^4 p))."""
  scale = float(x.max()) / 255.0
  return np.round(x / scale).astype(np.uint8), scale


def fold_splits(infos, tapes):
  """[folds, windows] split codes from each fold's dataset_info.json."""
  out = np.full((len(infos), len(tapes)), -1, np.int8)
  for k, info in enumerate(infos):
    for code, split in enumerate(SPLITS):
      out[k, np.isin(tapes, info['splits'][split]['tape_ids'])] = code
  if (out < 0).any():
    raise ValueError('a tape of the first fold is in no split of another: '
                     'were the folds built from the same tapes?')
  return out


def pretrained_weights():
  """{'<layer>/<i>': array} of every musicnn layer, as build_model loads."""
  model = models.build_model(4, 240000, architecture='musicnn_msd')
  return {f'{layer.name}/{i}': w for layer in model.layers
          if layer.name.startswith('musicnn_')
          for i, w in enumerate(layer.get_weights())}


def write_npz(path, **arrays):
  buffer = io.BytesIO()
  np.savez_compressed(buffer, **arrays)
  outputs.write(path, buffer.getvalue())


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('data_dirs', nargs='+', help="the folds' records")
  parser.add_argument('--out', required=True)
  args = parser.parse_args()
  infos = [dataset_info.read(d) for d in args.data_dirs]
  if infos[0]['sample_rate'] != musicnn.SAMPLE_RATE:
    sys.exit(f'musicnn needs {musicnn.SAMPLE_RATE} Hz records')
  pcm, labels, tapes, offsets = windows(args.data_dirs[0], infos[0])
  order = np.lexsort((offsets, tapes))  # Stable, whatever the shard order.
  codes, scale = quantize(spectrograms(pcm[order]))
  os.makedirs(args.out, exist_ok=True)
  write_npz(os.path.join(args.out, 'corpus.npz'), spectrogram=codes,
            scale=scale, label=labels[order], tape_id=tapes[order],
            split=fold_splits(infos, tapes[order]),
            eras=np.array(infos[0]['eras']))
  write_npz(os.path.join(args.out, 'musicnn_msd.npz'), **pretrained_weights())
  print(f'{len(codes)} windows, {codes.shape[1]} frames, '
        f'{len(infos)} folds → {args.out}')


if __name__ == '__main__':
  main()
