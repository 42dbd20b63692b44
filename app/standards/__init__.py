"""Ethical standards (chuẩn mực đạo đức) per unit and year, default catalogues, annual themes."""
