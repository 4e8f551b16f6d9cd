"""Pure renderers of what they are given: maps, support sheets, basemaps and exports."""
