"""Reports: the engine that runs report types and writes their documents."""
