"""Virtual trials: files, chart and table of model against published for `actlocally trial`."""
