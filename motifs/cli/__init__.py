"""The `motifs` console script: one Typer app, one module per command group, each thin over a library."""
