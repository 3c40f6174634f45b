"""Spreadsheets in and out: templates made from the shapes (layout, workbook), files read cell by cell
(reading), rows turned into resources with every problem pinned to its cell (rows), and imports that go
through the write gate as one change (importing). Stewards keep their data in Excel; this is their door."""
