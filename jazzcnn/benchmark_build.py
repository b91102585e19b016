"""The build suite of `python -m jazzcnn.benchmark`: the records builder's
rates and memory, on synthetic MP3/FLAC tapes (see BENCHMARKS.md)."""

import os
import subprocess
import time

from jazzcnn import audio
from jazzcnn import benchmark_lib as lib
from jazzcnn import naming


def build_suite(work, *, tape_count, minutes, memory_minutes, runner_startup):
  """Builder rates (decode-only, marginal build, fixed cost) and memory.

  Args:
    work: a scratch directory.
    tape_count, minutes: the corpus timed, MP3 tapes of `minutes` each.
    memory_minutes: (short, long) tape lengths whose peak memory compare.
    runner_startup: also time a trivial pipeline on each runner.
  """
  figures = []
  tapes, tracklist, paths, tiny, tiny_paths = _write_tapes(work, tape_count,
                                                           minutes)
  cores = os.cpu_count()
  windowing = audio.Windowing()

  def run_build(input_dir, out):
    start = time.perf_counter()
    subprocess.run(lib.build_command(input_dir, tracklist, out,
                                     '--runner=DirectRunner'),
                   check=True, capture_output=True)
    return time.perf_counter() - start

  # Decoding on warm worker processes (imports done): its steady rate. The
  # job's rate is marginal: a 30 s tape and the full corpus, subtracted.
  with lib.decode_pool(cores) as pool:
    lib.decode_all(pool, tiny_paths, windowing)
    seconds, t_decode = lib.timed(
        lambda: lib.decode_all(pool, paths, windowing), repeats=2)
  tiny_seconds = lib.decode_seconds(tiny_paths[0], windowing)
  decode = seconds / t_decode
  t_build_tiny = run_build(tiny, os.path.join(work, 'built_tiny'))
  t_build = run_build(tapes, os.path.join(work, 'built'))
  built = (seconds - tiny_seconds) / max(t_build - t_build_tiny, 1e-9)
  figures += [
      lib.figure('build', 'decode_only', decode, 'x real time',
                 f'{cores} warm processes'),
      lib.figure('build', 'build_records', built, 'x real time',
                 f'DirectRunner, {cores} workers, marginal'),
      lib.figure('build', 'build_records_hours_per_minute', built / 60,
                 'h/min', 'marginal'),
      lib.figure('build', 'build_vs_decode_only', built / decode, 'x', '>= 0.5',
                 built / decode >= 0.5),
      lib.figure('build', 'build_per_core', built / cores, 'x real time',
                 '>= 100', built / cores >= 100),
      lib.figure('build', 'build_records_fixed_cost', t_build_tiny, 's',
                 'one 30 s tape: processes, imports'),
      lib.figure('build', 'build_whole_run', seconds / t_build,
                 'x real time', f'{tape_count} x '
                 f'{minutes:g} min, fixed cost included'),
  ]
  if runner_startup:
    prism = lib.runner_startup_seconds('DirectRunner')
    fnapi = lib.runner_startup_seconds('FnApiRunner')
    figures += [
        lib.figure('build', 'trivial_pipeline_DirectRunner', prism, 's',
                   'tries PrismRunner first (downloads, fails offline)'),
        lib.figure('build', 'trivial_pipeline_FnApiRunner', fnapi, 's',
                   'what --runner=DirectRunner runs here'),
    ]
  return figures + _memory(work, tracklist, memory_minutes)


def _write_tapes(work, tape_count, minutes):
  """Writes the corpus: (tape dir, track list, paths, tiny dir, [30 s tape])."""
  tapes = os.path.join(work, 'mp3_tapes')
  os.makedirs(tapes, exist_ok=True)
  titles = [f'Bench_Band_Tape_{i}_1925' for i in range(tape_count)]
  for title in titles:
    lib.write_tone_tape(os.path.join(tapes, title + '.mp3'),
                        minutes * 60)
  tracklist = os.path.join(work, 'tracklist.csv')
  naming.write_tracklist(tracklist, {t: '1925' for t in titles})
  paths = sorted(os.path.join(tapes, t + '.mp3') for t in titles)
  tiny = os.path.join(work, 'tiny_tape')
  os.makedirs(tiny, exist_ok=True)
  tiny_paths = [os.path.join(tiny, titles[0] + '.mp3')]
  lib.write_tone_tape(tiny_paths[0], 30)
  lib.raw_read(paths + tiny_paths)
  return tapes, tracklist, paths, tiny, tiny_paths


def _memory(work, tracklist, memory_minutes):
  """Peak memory of the builder on a short and a long tape, one process."""
  short, long_ = memory_minutes
  rss = []
  for minutes in (short, long_):
    tape_dir = os.path.join(work, f'memory_{minutes:g}')
    os.makedirs(tape_dir, exist_ok=True)
    lib.write_tone_tape(os.path.join(tape_dir, 'Bench_Band_Tape_0_1925.flac'),
                        minutes * 60)
    rss.append(lib.peak_rss_of(lib.build_command(
        tape_dir, tracklist, os.path.join(work, f'memory_out_{minutes:g}'),
        '--direct_num_workers=1')))
  return [
      lib.figure('build', f'peak_rss_{short:g}min_tape', rss[0] / 2**20, 'MiB',
                 'one process: FnApiRunner in-process'),
      lib.figure('build', f'peak_rss_{long_:g}min_tape', rss[1] / 2**20, 'MiB'),
      lib.figure('build', 'peak_rss_long_vs_short', rss[1] / rss[0], 'x',
                 '< 1.2', rss[1] / rss[0] < 1.2),
  ]


