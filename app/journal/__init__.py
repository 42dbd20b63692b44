"""The diary: entries (bài nhật ký), evidence, calendar, heatmap, coverage and search."""
