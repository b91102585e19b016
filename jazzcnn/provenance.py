"""What an exported model knows of the records it was trained on.

`eras.json` keeps `model_keys` of the training records: enough to read new
audio as they were read (`MODEL_KEYS`), which records they were
(`split_tapes`) and which tapes and groups the model was fitted or chosen
on (`fitted_on`). The questions asked with it live here, one owner for
each: may the model score these records (`model_mismatch`), were they its
own (`trained_elsewhere`), how much of a split it heard
(`heard_in_training`, `fitted_on_tape`), and what a checkpoint's weights
depend on (`trained_on`). `dataset_info` owns the records' own fields.

  meta = provenance.model_keys(info)       # at export
  provenance.heard_in_training(meta, other_info, 'test')
"""

from jazzcnn import dataset_info

# What a trained model needs to read new audio as it was trained on.
MODEL_KEYS = ('eras', 'era_years', 'sample_rate', 'window_samples',
              'hop_samples', 'trim_seconds', 'silence_peak')
# What of the records a model's weights fit: its outputs, and its input.
WEIGHT_KEYS = ('eras', 'sample_rate', 'window_samples')


def model_keys(info):
  """The entries an exported model keeps: `MODEL_KEYS`; `split_tapes`,
  which records it was trained on (`trained_elsewhere`); and `fitted_on`,
  which tapes (`heard_in_training`)."""
  kept = {k: info[k] for k in MODEL_KEYS if k != 'silence_peak'}
  return {**kept, 'silence_peak': dataset_info.silence_peak(info),
          'split_tapes': dataset_info.split_tapes(info),
          'fitted_on': fitted_on(info)}


# Fitted on (train) or chosen on (validation, the epoch exported): not held out.
FITTED_SPLITS = ('train', 'validation')


def fitted_on(info):
  """{'tape_ids', 'groups', 'split_by'}: the tapes and resampling groups
  (sorted) of the splits a model trained on these records was fitted or
  chosen on (`FITTED_SPLITS`), and what the groups are of."""
  splits = [info['splits'][s] for s in FITTED_SPLITS if s in info['splits']]
  return {**{key: sorted({x for e in splits for x in e.get(key, [])})
             for key in ('tape_ids', 'groups')},
          'split_by': info.get('split_by')}


def heard_in_training(meta, info, split):
  """How much of `split` of these records a model (its eras.json `meta`)
  was fitted or chosen on: {'tapes': [heard, of the split's], 'groups':
  [heard, of the split's]}, a group being a resampling group (artist and
  era by default): a tape unheard may still be by players it heard.
  'groups' is None where the two were grouped by other --split_by, and
  the whole None for an export older than the key."""
  fitted = meta.get('fitted_on')
  if fitted is None:
    return None
  entry = info['splits'][split]
  heard = lambda key: [len(set(entry.get(key, [])) & set(fitted[key])),
                       len(entry.get(key, []))]
  return {'tapes': heard('tape_ids'),
          'groups': (heard('groups')
                     if fitted['split_by'] == info.get('split_by') else None)}


def heard_any(heard):
  """Whether `heard_in_training`'s result names a tape or group heard."""
  return bool(heard) and bool(heard['tapes'][0] or
                              (heard['groups'] and heard['groups'][0]))


def fitted_on_tape(meta, tape_id):
  """Whether a model (eras.json `meta`) heard `tape_id`; None: unknown."""
  fitted = meta.get('fitted_on')
  return None if fitted is None else tape_id in fitted['tape_ids']


def trained_elsewhere(meta, info):
  """Whether a model (its eras.json `meta`) was trained on records whose
  splits hold other tapes than these: another fold or corpus (False for an
  export older than the key)."""
  these = dataset_info.split_tapes(info)
  return meta.get('split_tapes', these) != these


def trained_on(info):
  """What a checkpoint trained on these records depends on: their
  `WEIGHT_KEYS` and `split_tapes`."""
  return {**{k: info[k] for k in WEIGHT_KEYS},
          'split_tapes': dataset_info.split_tapes(info)}


def model_mismatch(meta, info):
  """Why a model (its eras.json `meta`) cannot score these records: other
  eras, sample rate or window length (`WEIGHT_KEYS`); None when it can."""
  if all(meta[k] == info[k] for k in WEIGHT_KEYS):
    return None
  if meta['eras'] != info['eras']:
    return (f'the model knows eras {meta["eras"]}, the records hold '
            f'{info["eras"]}')
  heard = lambda d: (f'{d["window_samples"] / d["sample_rate"]:g} s windows '
                     f'at {d["sample_rate"]} Hz')
  return (f'the model hears {heard(meta)}, the records hold {heard(info)}: '
          'rebuild them with its --window_seconds and --sample_rate')
