"""clicknet training package: model, data, click simulation, training, export (see ../README.md)."""
