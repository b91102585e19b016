#!/usr/bin/env bash
# Sets up .venv, then runs the whole pipeline end to end:
#   tapes → TFRecords (Beam, DirectRunner) → trained model → evaluation.
# Uses your tapes in ./tapes (with the Niven track list) if there are any,
# else synthesizes the demo corpus in ./demo_tapes.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2
PY=.venv/bin/python

if compgen -G "tapes/*.mp3" >/dev/null || compgen -G "tapes/*.flac" >/dev/null \
   || compgen -G "tapes/*.ogg" >/dev/null || compgen -G "tapes/*.wav" >/dev/null; then
  build_flags=(--input=tapes/)
else
  echo "== No tapes in ./tapes: synthesizing the demo corpus in ./demo_tapes"
  [ -f demo_tapes/tracklist.csv ] || $PY -m beam_pipelines.make_demo_tapes --output=demo_tapes/
  build_flags=(--input=demo_tapes/ --flagfile=flags/build_demo.cfg)
fi

echo "== Building TFRecords into ./tfrecords"
$PY -m beam_pipelines.build_records --runner=DirectRunner "${build_flags[@]}" --output_dir=tfrecords/

echo "== Training into ./runs/demo (rerunning continues from the last checkpoint)"
if [ "${build_flags[0]}" = "--input=tapes/" ]; then train_cfg=flags/default.cfg; else train_cfg=flags/cpu_demo.cfg; fi
$PY -m jazzcnn.train --flagfile=$train_cfg --data_dir=tfrecords/ --model_dir=runs/demo

echo "== Evaluating on the test split (runs/demo/evaluation/test/)"
$PY -m jazzcnn.evaluate --model_dir=runs/demo --data_dir=tfrecords/ --split=test

audio_dir=${build_flags[0]#--input=}
audio_dir=${audio_dir%/}
some_tapes=$(ls "$audio_dir" | grep -iE '\.(mp3|flac|ogg|wav)$' | head -4 | sed "s|^|$audio_dir/|")
echo "== Predicting eras of a few tapes"
$PY -m jazzcnn.predict --model_dir=runs/demo --notimeline $some_tapes || true
echo "== Style embeddings and neighbours (runs/demo/styles/)"
$PY -m jazzcnn.embed --model_dir=runs/demo --output=runs/demo/styles \
    "$audio_dir/*.mp3" "$audio_dir/*.flac" "$audio_dir/*.ogg" "$audio_dir/*.wav" || true
echo "== Pictures: training curves and one melspectrogram (runs/demo/plots/)"
$PY -m jazzcnn.plot --model_dir=runs/demo --audio="$(echo "$some_tapes" | head -1)"
echo "== Done. Results: runs/demo/results.json, runs/demo/evaluation/test/metrics.json"
