"""What calibration and experiments both use to run batches: the Dask executor, the run store, atomic files.

Sits between `model` and `calibration` in the dependency rule: model <- runtime <- calibration <- experiments.
"""
