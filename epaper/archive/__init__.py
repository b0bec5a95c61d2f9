"""`epaper archive build`: an archive root of issue folders in; every issue built on Dask (one task each), resumable
by content hash, with IIIF, out. run.py is the driver (run_archive, ArchiveOptions), task.py one issue on a worker,
discover.py the issues and their hashes, cli.py the command. Nothing heavy is imported here: the CLI loads fast."""
