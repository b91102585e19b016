#!/usr/bin/env bash
# Sets up .venv, then runs the whole pipeline end to end:
#   tapes → TFRecords (Beam) → trained model → evaluation, predictions,
#   style embeddings and pictures, all under runs/demo/.
# Uses your tapes in ./tapes (with tapes/tracklist.csv, else the Niven track
# list) if there are any, else synthesizes the demo corpus in ./demo_tapes.
# Arguments go to the records builder, after its defaults, and TRAIN_FLAGS
# to the trainer, after its flagfile, e.g.
#   ./run_demo.sh --trim_seconds=0   # tapes without Niven's spoken commentary
#   TRAIN_FLAGS='--epochs=40 --batch_size=32' ./run_demo.sh
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
# TensorFlow's C++ log off, including the harmless "failed call to cuInit"
# every process prints on a machine without a GPU (a real failure still
# raises a Python error); absl and Beam below warnings off.
export TF_CPP_MIN_LOG_LEVEL=3
PY=.venv/bin/python
QUIET=(--verbosity=-1)  # absl: warnings and errors only.
read -r -a train_flags <<< "${TRAIN_FLAGS:-}"
started=$SECONDS
mkdir -p runs

stage() {
  echo
  echo "== $*"
  stage_start=$SECONDS
}
took() { echo "   ($((SECONDS - stage_start)) s)"; }

# Audio files in ./tapes, at any depth, as the records builder lists them:
# naming.AUDIO_EXTENSIONS, then naming.UNDECODED_EXTENSIONS (the builder
# names each of those and how to convert it).
own_tapes=0
[ -d tapes ] && own_tapes=$(find -L tapes -type f \( -iname '*.flac' -o -iname '*.wav' \
    -o -iname '*.aiff' -o -iname '*.aif' -o -iname '*.ogg' -o -iname '*.opus' \
    -o -iname '*.mp3' -o -iname '*.m4a' -o -iname '*.aac' -o -iname '*.mp4' \
    -o -iname '*.wma' -o -iname '*.ape' -o -iname '*.wv' -o -iname '*.mka' \
    -o -iname '*.webm' -o -iname '*.ra' -o -iname '*.amr' \) | wc -l)
if [ "$own_tapes" -gt 0 ]; then
  tapes=tapes
  stage "1/7 Using the $own_tapes audio files in ./tapes"
  # The track list beside the tapes (the scraper writes tapes/tracklist.csv;
  # write one for tapes of your own), else the Niven collection's.
  tracklist=beam_pipelines/data/niven_songlist.csv
  [ -f tapes/tracklist.csv ] && tracklist=tapes/tracklist.csv
  build_flags=(--input=tapes/ --tracklist=$tracklist)
  # The full-width recipe where TensorFlow sees a GPU; on CPUs alone, the
  # one measured best on real music there (BENCHMARKS.md).
  if $PY -c "import sys, tensorflow as tf
sys.exit(not tf.config.list_physical_devices('GPU'))" 2>/dev/null; then
    train_cfg=flags/default.cfg
  else
    train_cfg=flags/cpu.cfg
  fi
else
  tapes=demo_tapes
  # The track list is written last: a corpus that has one is whole.
  if [ -f demo_tapes/tracklist.csv ]; then
    stage "1/7 No tapes in ./tapes: using the demo corpus an earlier run" \
          "synthesized in ./demo_tapes (rm -r demo_tapes makes it afresh)"
  else
    stage "1/7 No tapes in ./tapes: synthesizing the demo corpus in ./demo_tapes" \
          "(16 tapes, 4 eras that differ in tempo, rhythm, instruments and recording bandwidth)"
    $PY -m beam_pipelines.make_demo_tapes --output=demo_tapes/ "${QUIET[@]}" >/dev/null
    took
  fi
  build_flags=(--input=demo_tapes/ --flagfile=flags/build_demo.cfg)
  train_cfg=flags/cpu.cfg
  tracklist=demo_tapes/tracklist.csv
fi

stage "2/7 Building TFRecords into ./tfrecords (splits keep an artist's tapes" \
      "of one era together; eras from $tracklist)"
$PY -m beam_pipelines.build_records --runner=DirectRunner "${build_flags[@]}" \
    --output_dir=tfrecords/ "${QUIET[@]}" "$@" > runs/build.json
$PY - "$tapes" <<'EOF'
import json, sys
s = json.load(open("runs/build.json"))
info = json.load(open("tfrecords/dataset_info.json"))
seconds = info['window_samples'] / info['sample_rate']
for split, v in s['splits'].items():
  print(f"   {split:10s} {v['windows']:5d} windows of {seconds:g} s from {v['tapes']:3d} tapes")
why = ' on purpose (the demo includes bad input)' if sys.argv[1] == 'demo_tapes' else ''
for key, said in (('skipped', 'skipped' + why),
                  ('cut_short', 'cut short (the windows before the failure kept)')):
  if s.get(key):
    print(f'   {said}:', ', '.join(f'{n} {r}' for r, n in sorted(s[key].items())),
          '(see tfrecords/dataset_info.json "failures")')
EOF
rm -f runs/build.json
took

stage "3/7 Training into ./runs/demo with $train_cfg${TRAIN_FLAGS:+ $TRAIN_FLAGS} (rerunning continues" \
      "from the last checkpoint; one line per epoch)"
$PY -m jazzcnn.train --flagfile=$train_cfg --data_dir=tfrecords/ \
    --model_dir=runs/demo "${QUIET[@]}" ${train_flags[@]+"${train_flags[@]}"} \
    > runs/demo.train.log 2>&1 \
  || { tail -20 runs/demo.train.log
         echo "   (the whole log: runs/demo.train.log; rm -r runs/demo trains afresh)"
         exit 1; }
# The first, every tenth and the last epoch's line (the full log:
# runs/demo.train.log); none when a rerun found the run finished.
awk '/^Epoch /{split($2, e, "/")} /^[0-9]+\/[0-9]+ - /{ epochs++
       if (e[1] == 1 || e[1] % 10 == 0 || e[1] == e[2]) printf "   epoch %3d/%d %s\n", e[1], e[2], $0}
     END { if (!epochs) print "   nothing left to train: runs/demo holds a finished run (rm -r runs/demo trains afresh)" }' \
    runs/demo.train.log | sed -E 's/ - [0-9]+m?s\/step//'
took

stage "4/7 Evaluating on the held-out test split, beside baselines" \
      "(runs/demo/evaluation/test/)"
# The headline scores and the baselines here; per-era scores, the confusion
# matrix and confidences are in metrics.json and confusion.png.
$PY -m jazzcnn.evaluate --model_dir=runs/demo --data_dir=tfrecords/ --split=test \
    "${QUIET[@]}" \
  | awk '/^$/ {show = 0} /^(baselines|wrote)/ {show = 1} NR == 1 {show = 1} show' \
  | sed 's/^/   /'
took

stage "5/7 Predicting the test tapes (their names carry their true era)"
# The audio file of each of the records' tapes, "split<TAB>path" a line
# (names may hold spaces), listed once for stages 5 and 6.
listed=$($PY - "$tapes" <<'PYEOF'
import json, sys
from jazzcnn import naming, predict_lib
splits = json.load(open('tfrecords/dataset_info.json'))['splits']
# The folder as predict reads one: any depth, one file a tape.
files = {naming.tape_id(p): p for p in predict_lib.expand([sys.argv[1]])}
for split in ('train', 'validation', 'test'):
  for i in splits[split]['tape_ids']:
    if i in files:
      print(f'{split}\t{files[i]}')
PYEOF
)  # Here, not in <(...): a failure stops the script.
mapfile -t test_tapes < <(printf '%s' "$listed" | sed -n 's/^test\t//p')
$PY -m jazzcnn.predict --model_dir=runs/demo --notimeline "${test_tapes[@]}" \
    "${QUIET[@]}" | grep -v '^$' | sed 's/^/   /'
took

stage "6/7 Style embeddings of every labelled tape and their neighbours (runs/demo/styles/)"
mapfile -t all_tapes < <(printf '%s' "$listed" | cut -f2-)
$PY -m jazzcnn.embed --model_dir=runs/demo --output=runs/demo/styles \
    --tracklist="$tracklist" "${QUIET[@]}" "${all_tapes[@]}" \
    | tail -2 | sed 's/^/   /'
took

stage "7/7 Pictures: training curves and a test window's melspectrogram (runs/demo/plots/)"
$PY -m jazzcnn.plot --model_dir=runs/demo --audio="${test_tapes[0]}" "${QUIET[@]}" \
    | sed 's/^/   /'
took

echo
echo "== Done in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s."
$PY - <<'EOF'
import json
m = json.load(open('runs/demo/evaluation/test/metrics.json'))
ci = m['window_balanced_accuracy_ci']
interval = (f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else
            "(no interval: one test tape per era, nothing to resample)")
print(f"   Test window balanced accuracy {m['window_balanced_accuracy']:.3f} "
      f"{interval} over {m['tapes']} held-out tapes "
      f"(chance: {1 / len(m['eras']):.2f}).")
b = m['baselines'].get('mel_stats')
if b:  # What the model is to be judged against.
  print(f"   A linear model on log-mel band energies (the mel_stats baseline): "
        f"{b['window_balanced_accuracy']:.3f} on the same windows.")
EOF
echo "   Results: runs/demo/results.json, runs/demo/evaluation/test/metrics.json"
echo "   Pictures: runs/demo/evaluation/test/confusion.png, runs/demo/styles/projection.png,"
echo "             runs/demo/plots/curves.png, runs/demo/plots/melspec.png"
if [ "$tapes" = demo_tapes ]; then
  echo "   The demo is synthetic and made to be easy. The model on recorded music:"
  echo "   README.md, \"Real-music check corpora\" (and scripts/cross_validate.sh)."
  echo "   Next: put your tapes in ./tapes (python -m beam_pipelines.scrape), or train"
  echo "   on a GPU with --flagfile=flags/gpu.cfg (README.md)."
else
  echo "   Next: the recipes and their scores on real music are in README.md and BENCHMARKS.md."
fi
