"""Logs bigger than one machine, on Dask: the connection-event frame as a lazy
``dask.dataframe`` (:mod:`.engine`), ``kit parse`` to a Parquet dataset (:mod:`.dataset`), the
case's heavy analysis on a cluster (:mod:`.analysis`) and which cluster (:mod:`.cluster`).

Nothing here is imported unless asked for: the default engine stays pandas in one process.
"""
