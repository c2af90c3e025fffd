"""paper/README.md regenerated from the results CSVs (write.py) and its efficiency section
(efficiency_section.py); `python -m gandi.paper`."""
