# SPP-net vs R-CNN detection time per image (docs/sppnet.md).
#   make bench-sppnet   setup (scripts/setup.sh bench), build the library, check every stage,
#                       then time R-CNN, SPP-net 1-scale and 5-scale; writes results/sppnet/
#                       (table.md, table.tex, summary.json, stages.png)
# Variables (empty: the runner's default):
#   REPS     interleaved repetitions, medians kept (3)
#   THREADS  thread counts, comma-separated (1,2)
#   FULL=1   R-CNN on all windows instead of a seeded sample of RCNN_SAMPLE (200), scaled
#   WINDOWS  windows per image (2000); SCALES 5-scale's scales (480,576,688,864,1200)
#   SPPNET_OUT  output directory (results/sppnet); SPPNET_ARGS  more run.py arguments
# A quick look: make bench-sppnet REPS=1 THREADS=1 WINDOWS=200 RCNN_SAMPLE=20
REPS ?=
THREADS ?=
FULL ?=
WINDOWS ?=
RCNN_SAMPLE ?=
SCALES ?=
SPPNET_OUT ?=
SPPNET_ARGS ?=

SPPNET_RUN_ARGS = $(if $(REPS),--reps $(REPS)) $(if $(THREADS),--threads $(THREADS)) \
  $(if $(filter 1 yes true,$(FULL)),--full) $(if $(WINDOWS),--windows $(WINDOWS)) \
  $(if $(RCNN_SAMPLE),--rcnn-sample $(RCNN_SAMPLE)) $(if $(SCALES),--scales $(SCALES)) \
  $(if $(SPPNET_OUT),--out $(SPPNET_OUT)) $(SPPNET_ARGS)

.PHONY: bench-sppnet
bench-sppnet:
	$(Q)scripts/setup.sh bench
	$(Q)$(MAKE) --no-print-directory lib
	$(Q)SPP_BUILD=$(BUILD) $(PY) harness/sppnet/run.py $(strip $(SPPNET_RUN_ARGS))
