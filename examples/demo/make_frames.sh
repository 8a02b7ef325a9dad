#!/bin/sh
# Renders the demo's built-in frames: 60 JPEGs of 320x240, a moving test
# pattern with the frame number drawn on it. Run once; the output is committed
# so building the demo needs no image tools.
#   sh examples/demo/make_frames.sh      (needs ffmpeg with drawtext)
set -eu
here=$(dirname "$0")
out="$here/frames"
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
rm -f "$out"/frame_*.jpg
mkdir -p "$out"
ffmpeg -hide_banner -loglevel error -f lavfi \
  -i "testsrc=size=320x240:rate=10:duration=6" \
  -vf "drawbox=x=100:y=90:w=120:h=60:color=black@0.8:t=fill,drawtext=fontfile=$font:text='%{eif\:n\:d\:2}':fontsize=44:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2" \
  -q:v 12 -start_number 0 "$out/frame_%02d.jpg"
ls "$out" | wc -l
du -sh "$out"
