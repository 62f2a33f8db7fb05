"""A tiny region workload (configs/regions.ini format) for tests that run spp-bench-regions or
read the config: 8 channels, a 5x6 map, 4 boxes; callers add the `fill` key."""
TINY_SECTION = """[tiny]
channels = 8
height = 5
width = 6
levels = 2,1
pool = max
bins = adaptive
boxes = 4
seed = 7
"""
