"""Public transport: GTFS timetables in, and the time-dependent router over them.

Kernels here take arrays and know no store: :mod:`assetmap.transit.gtfs`
reads, checks and cuts GTFS Schedule feeds into a :class:`Timetable`
(:mod:`assetmap.transit.timetable`), and :mod:`assetmap.transit.router`
answers "minutes from every origin to the nearest asset, departing in a
window" over it.
"""
