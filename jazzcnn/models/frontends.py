"""The front ends: int16 waveform → log-mel spectrogram, on the accelerator."""

import keras
from kapre import composed

from jazzcnn import layers

# BatchNorm's moving statistics must settle within the few hundred steps of
# a small corpus: Keras' default 0.99 left inference on unnormalised input
# for the first ~10 epochs of a 25-step-epoch run (measured).
BN_MOMENTUM = 0.9


def log_melspectrogram(pcm, *, sample_rate, n_fft=512, hop_length=256,
                       n_mels=128, normalize='example', spec_mask=False):
  """int16 [batch, samples] → normalised dB melspectrogram [batch, mels, frames, 1].

  kapre computes it inside the model, so the host ships int16 and the STFT
  runs on the device; the filterbank is fixed (kapre 0.4 trains nothing).

  Args:
    pcm: int16 Keras tensor [batch, samples].
    sample_rate: of the waveform, in Hz.
    n_fft: FFT size.
    hop_length: STFT hop in samples.
    n_mels: mel bins.
    normalize: 'example': zero mean, unit variance per example, no weights
      (the seed's front end); 'batch': a BatchNormalization over the one
      channel (Won et al. 2020's `spec_bn`), which keeps relative loudness;
      None: the dB values as they are.
    spec_mask: then SpecAugment-style masking (training only).

  Returns:
    The Keras tensor of the spectrogram.
  """
  x = layers.PcmToFloat(name='pcm_to_float', dtype='float32')(pcm)
  melspec = composed.get_melspectrogram_layer(
      n_fft=n_fft, hop_length=hop_length, sample_rate=sample_rate,
      n_mels=n_mels, pad_end=True, return_decibel=True,
      input_data_format='channels_last', output_data_format='channels_last')
  for layer in melspec.layers:  # An STFT in float16 loses the quiet parts.
    layer.dtype_policy = keras.DTypePolicy('float32')
  x = melspec(x)  # [batch, time, mels, 1]
  x = keras.layers.Permute((2, 1, 3), name='mels_by_frames')(x)
  if normalize == 'example':
    x = keras.layers.LayerNormalization(
        axis=(1, 2, 3), center=False, scale=False, dtype='float32',
        name='normalize')(x)
  elif normalize == 'batch':
    x = keras.layers.BatchNormalization(
        momentum=BN_MOMENTUM, dtype='float32', name='normalize')(x)
  elif normalize is not None:
    raise ValueError(f"normalize must be 'example', 'batch' or None, got "
                     f'{normalize!r}')
  if spec_mask:
    x = layers.SpecMask(name='spec_mask', dtype='float32')(x)
  return x
