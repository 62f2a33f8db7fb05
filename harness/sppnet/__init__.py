"""SPP-net vs R-CNN detection time per image on this CPU (`make bench-sppnet`; docs/sppnet.md).

run.py       the command: checks, then interleaved timing, then the outputs
args.py      its command line, checked (status 2, nothing written, on a bad value)
zf5.py       ZF-5's conv1-5, fc6, fc7 with seeded random weights (PyTorch, oneDNN convs)
windows.py   images, the det-688 windows, the 5-scale choice, projection (libspp)
pooling.py   region SPP and pool5 by libspp, and the torchvision / OpenVINO region peers
pipeline.py  one detection pass per method, stage by stage
checks.py    the verification made before timing
tables.py    table.md, table.tex, summary.json, stages.png
"""
