"""Dixian (底线): the rural-revitalization monitoring and early-warning platform."""
