"""Every flagfile in flags/ parses with its program's own flags.

A flagfile is read only when a command runs with it, so a line that names
a missing file or an unknown flag breaks that recipe and nothing else:
`flags/gpu.cfg` once carried a stray `--flagfile=flags/cpu.cfg).` line
(a comment's tail) and every test still passed. Each program's files are
parsed in one subprocess, as the command would parse them.
"""

import json
import pathlib
import sys

import conftest

FLAGS_DIR = pathlib.Path(conftest.ROOT) / 'flags'

# Which program reads a flagfile, by its name's prefix; the rest train.
PROGRAMS = {'build_': 'beam_pipelines.build_records',
            'check_': 'beam_pipelines.make_check_corpus'}

# Parse each file afresh and print every flag's value after it, as JSON.
PARSE = '''
import importlib, json, sys
from absl import flags
importlib.import_module(sys.argv[1])
out = {}
for path in sys.argv[2:]:
  try:
    flags.FLAGS(['prog', '--flagfile=' + path])
    out[path] = {name: flags.FLAGS[name].value for name in flags.FLAGS}
  except Exception as e:  # pylint: disable=broad-except
    out[path] = {'error': f'{type(e).__name__}: {e}'}
  flags.FLAGS.unparse_flags()
print(json.dumps(out, default=str))
'''


def _program(path):
  return next((program for prefix, program in PROGRAMS.items()
               if path.name.startswith(prefix)), 'jazzcnn.train')


def _parse_all():
  by_program = {}
  for path in sorted(FLAGS_DIR.glob('*.cfg')):
    by_program.setdefault(_program(path), []).append(f'flags/{path.name}')
  parsed = {}
  for program, paths in by_program.items():
    result = conftest.run([sys.executable, '-c', PARSE, program, *paths])
    assert result.returncode == 0, result.stderr[-3000:]
    parsed.update(json.loads(result.stdout.splitlines()[-1]))
  return parsed


def test_every_flagfile_parses_and_the_recipes_are_what_they_say():
  parsed = _parse_all()
  assert len(parsed) == len(list(FLAGS_DIR.glob('*.cfg')))
  errors = {path: flags['error'] for path, flags in parsed.items()
            if 'error' in flags}
  assert not errors, errors
  # The recipes the README names set what their comments say.
  cpu, gpu, seed = (parsed[f'flags/{n}.cfg'] for n in ('cpu', 'gpu', 'seed'))
  assert (cpu['model'], cpu['freeze']) == ('musicnn_msd', True)
  assert (gpu['model'], gpu['freeze'], gpu['strategy']) == (
      'shortres', False, 'mirrored')
  assert (gpu['mixed_precision'], gpu['jit_compile']) == (
      'mixed_float16', True)
  assert seed['model'] == 'seed'
  assert parsed['flags/gpu_multiworker.cfg']['strategy'] == (
      'multi_worker_mirrored')
