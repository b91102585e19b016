"""Distribution strategies by name, and where each worker writes."""

import json
import posixpath

import tensorflow as tf

STRATEGIES = ('default', 'one_device', 'mirrored', 'multi_worker_mirrored',
              'tpu')


def get_strategy(name, *, tpu_address='', virtual_cpus=0):
  """Returns the `tf.distribute.Strategy` called `name`.

  Args:
    name: one of STRATEGIES. `mirrored` uses all local GPUs, or the virtual
      CPUs when there is no GPU; `multi_worker_mirrored` reads TF_CONFIG
      (Cloud GPU VM batch jobs); `tpu` connects to `tpu_address` (empty: the
      local Cloud TPU VM).
    tpu_address: TPU name or grpc address, for `tpu`.
    virtual_cpus: if > 1, splits the CPU into that many logical devices
      first, so `mirrored` has that many replicas on a machine with no GPU.
      Must be called before TensorFlow initialises its devices.

  Raises:
    ValueError: for an unknown name, a bad `virtual_cpus`, a TF_CONFIG that
      is not JSON, or no TPU where `tpu` looks.
  """
  if name not in STRATEGIES:
    raise ValueError(f'unknown strategy {name!r}; choose one of '
                     f'{", ".join(STRATEGIES)}')
  if virtual_cpus < 0:
    raise ValueError(f'virtual_cpus must be >= 0, got {virtual_cpus}')
  if virtual_cpus > 1:
    cpu = tf.config.list_physical_devices('CPU')[0]
    try:
      tf.config.set_logical_device_configuration(
          cpu, [tf.config.LogicalDeviceConfiguration()] * virtual_cpus)
    except RuntimeError as e:
      raise ValueError('virtual_cpus must be set before TensorFlow starts '
                       f'using its devices: {e}') from e
  if name == 'default':
    return tf.distribute.get_strategy()
  if name == 'one_device':
    gpus = tf.config.list_logical_devices('GPU')
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else '/cpu:0')
  if name == 'mirrored':
    if tf.config.list_logical_devices('GPU'):
      return tf.distribute.MirroredStrategy()
    return tf.distribute.MirroredStrategy(
        [d.name for d in tf.config.list_logical_devices('CPU')])
  if name == 'multi_worker_mirrored':
    try:
      return tf.distribute.MultiWorkerMirroredStrategy()
    except json.JSONDecodeError as e:
      raise ValueError(f'TF_CONFIG is not valid JSON ({e})') from e
  where = repr(tpu_address) if tpu_address else 'this machine'
  try:
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
        tpu=tpu_address or 'local')
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
  except (OSError, ValueError, tf.errors.OpError) as e:
    # Not found, or not reachable: TensorFlow's message runs to a page of
    # kernel listings; its first sentence says which.
    reason = str(e).splitlines()[0].split('. ')[0] if str(e) else repr(e)
    raise ValueError(f'strategy tpu found no TPU on {where} ({reason}); on '
                     'a machine without one use mirrored') from e
  return tf.distribute.TPUStrategy(resolver)


def write_dir(model_dir, strategy):
  """Where this worker writes: (dir, is_chief).

  Under MultiWorkerMirroredStrategy every worker must save (the save is
  collective) but only the chief's copy is kept; the others write into
  model_dir/workers/TYPE_ID.
  """
  resolver = getattr(strategy, 'cluster_resolver', None)
  task_type = getattr(resolver, 'task_type', None)
  task_id = getattr(resolver, 'task_id', 0)
  if task_type in (None, 'chief') or (task_type == 'worker' and task_id == 0
                                      and 'chief' not in (
                                          resolver.cluster_spec().jobs)):
    return model_dir, True
  return posixpath.join(model_dir, 'workers', f'{task_type}_{task_id}'), False
